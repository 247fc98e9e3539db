package e2e

import (
	"errors"
	"os/exec"
	"syscall"
)

const (
	sighup  = syscall.SIGHUP
	sigusr1 = syscall.SIGUSR1
)

func runBinary(args ...string) (string, error) {
	out, err := exec.Command(binary, args...).CombinedOutput()
	return string(out), err
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
