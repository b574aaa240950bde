#!/usr/bin/env bash
# Make the ssh tier of the tests runnable: OpenSSH's server and client (sshd,
# ssh, ssh-agent, ssh-add, ssh-keygen), installed when missing, and sshd's
# privilege-separation directory. The tests start their own sshd on
# 127.0.0.1 with their own configuration and keys (pkg/cli/sshserver_test.go);
# nothing here starts a daemon or touches the machine's sshd configuration.
#
#   .ci/ssh.sh        # root, Debian or Ubuntu
set -euo pipefail

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
for c in ssh ssh-agent ssh-add ssh-keygen; do
	command -v "$c" >/dev/null || { need+=(openssh-client); break; }
done
if [ ${#need[@]} -gt 0 ]; then
	echo "ssh.sh: installing ${need[*]}" >&2
	apt-get update
	# policy-rc.d exit 101: the package must not start the system's sshd
	# (a machine's own policy-rc.d is left as it is).
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
# sshd refuses to start without its privilege-separation directory.
install -d -m 0755 /run/sshd
/usr/sbin/sshd -V 2>&1 | head -n1 >&2 || true
