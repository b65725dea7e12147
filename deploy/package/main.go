// Command package builds renewd's Debian package:
//
//	go run ./deploy/package [-version V] [-arch amd64] [-out dist]
//
// It builds renewd for Linux (static, trimmed, with V stamped in as
// `renewd version` and renewd_build_info show it), writes the unit with
// ExecStart=/usr/bin/renewd and the shell completion scripts, and runs nfpm, pinned and fetched through the
// Go module proxy, on deploy/nfpm.yaml. V defaults to `git describe --tags
// --always`, as the build from source in docs/operations.md stamps it; the
// package's Debian version is derived from it (see debianVersion). It
// prints the path of the .deb it wrote.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// nfpmTool is the nfpm the package is built with.
const nfpmTool = "github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "", "the version to stamp into renewd (default: git describe --tags --always)")
	arch := fs.String("arch", "amd64", "the Debian architecture to build for: "+strings.Join(archNames(), ", "))
	out := fs.String("out", "dist", "the directory to write the .deb to")
	maintainer := fs.String("maintainer", "renewd maintainers <renewd@localhost>", "the package's Maintainer field")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	target, ok := archs[*arch]
	if !ok {
		return fmt.Errorf("-arch %q: not one of %s", *arch, strings.Join(archNames(), ", "))
	}
	outDir, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	root, err := output("", nil, "go", "list", "-m", "-f", "{{.Dir}}")
	if err != nil {
		return fmt.Errorf("find the module's root (run this inside the repository): %w", err)
	}
	if *version == "" {
		if *version, err = output(root, nil, "git", "describe", "--tags", "--always"); err != nil {
			return fmt.Errorf("git describe (or pass -version): %w", err)
		}
	}
	deb, err := debianVersion(*version, func() (string, error) {
		return output(root, nil, "git", "rev-list", "--count", "HEAD")
	})
	if err != nil {
		return err
	}

	stage, err := os.MkdirTemp("", "renewd-package-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	env := append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+target.goarch, "GOARM="+target.goarm)
	if _, err := output(root, env, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+*version,
		"-o", filepath.Join(stage, "renewd"), "./cmd/renewd"); err != nil {
		return fmt.Errorf("build renewd: %w", err)
	}
	unit, err := os.ReadFile(filepath.Join(root, "deploy/systemd/renewd.service"))
	if err != nil {
		return err
	}
	unit, err = packagedUnit(unit)
	if err != nil {
		return fmt.Errorf("deploy/systemd/renewd.service: %w", err)
	}
	if err := os.WriteFile(filepath.Join(stage, "renewd.service"), unit, 0o644); err != nil {
		return err
	}
	// The shell completion scripts, which renewd writes from its commands
	// table; the same on every architecture, so this machine's renewd
	// writes them.
	for shell, name := range map[string]string{"bash": "renewd.bash", "zsh": "_renewd", "fish": "renewd.fish"} {
		script, err := output(root, nil, "go", "run", "./cmd/renewd", "completion", shell)
		if err != nil {
			return fmt.Errorf("the %s completion script: %w", shell, err)
		}
		if err := os.WriteFile(filepath.Join(stage, name), []byte(script+"\n"), 0o644); err != nil {
			return err
		}
	}

	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	debPath := filepath.Join(outDir, fmt.Sprintf("renewd_%s_%s.deb", deb, *arch))
	env = append(os.Environ(), "RENEWD_VERSION="+deb, "RENEWD_ARCH="+*arch, "RENEWD_STAGE="+stage, "RENEWD_MAINTAINER="+*maintainer)
	// The files' times are the commit's, so that two builds of one commit
	// give the same package.
	if ct, err := output(root, nil, "git", "log", "-1", "--format=%ct"); err == nil && os.Getenv("SOURCE_DATE_EPOCH") == "" {
		env = append(env, "SOURCE_DATE_EPOCH="+ct)
	}
	if _, err := output(root, env, "go", "run", nfpmTool, "package", "--config", "deploy/nfpm.yaml",
		"--packager", "deb", "--target", debPath); err != nil {
		return fmt.Errorf("nfpm: %w", err)
	}
	fmt.Fprintln(stdout, debPath)
	return nil
}

// output runs a command in dir (the current one when "") with env (the
// process's when nil) and returns its standard output, trimmed; a failure
// carries what it printed on standard error.
func output(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
