// Package renewd holds the domain types that every part of renewd shares:
// services as OVH describes them, money in exact units, renewal periods and
// the term that the ledger keys a renewal by. It imports no other package of
// the project, so the policy, the ledger and the OVH adapter can all speak
// the same words without depending on one another.
package renewd
