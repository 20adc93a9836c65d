#!/usr/bin/env bash
# Usage: scripts/with-sshd.sh COMMAND [ARGS...]
#
# Runs COMMAND with a throwaway OpenSSH server (Debian's openssh-server)
# listening on 127.0.0.1 only, serving SFTP to one test account, and these
# variables set for the SFTP tests:
#
#   CLINICDESK_SFTP_HOST, CLINICDESK_SFTP_PORT   where it listens
#   CLINICDESK_SFTP_USER                         the account
#   CLINICDESK_SFTP_KEY                          its private key (no passphrase)
#   CLINICDESK_SFTP_PASSWORD                     its password (as root only)
#   CLINICDESK_SFTP_HOSTKEY_SHA256               the server's host key, SHA256:…
#   CLINICDESK_SFTP_ROOT                         the account's folder on this
#                                                computer (outbound/, inbound/)
#
# The server has its own generated host key and configuration in a
# temporary directory, removed afterwards. As root the account is the
# dedicated system user `clinicdesk-sftp` (created if absent, no shell
# login: SFTP only); otherwise it is the current user, with key only.
set -euo pipefail

sshd=/usr/sbin/sshd
if [ ! -x "$sshd" ] || ! command -v ssh-keygen >/dev/null; then
  echo "with-sshd: the OpenSSH server is not installed; run scripts/install.sh" >&2
  exit 127
fi

dir="$(mktemp -d)"
chmod 755 "$dir"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

password=""
if [ "$(id -u)" -eq 0 ]; then
  user=clinicdesk-sftp
  if ! id "$user" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
  fi
  password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  echo "$user:$password" | chpasswd
  # sshd's privilege separation directory.
  mkdir -p /run/sshd
  chmod 755 /run/sshd
else
  user="$(id -un)"
fi

ssh-keygen -q -t ed25519 -N '' -C clinicdesk-test-host -f "$dir/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C clinicdesk-test-client -f "$dir/client_ed25519"
cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
fingerprint="$(ssh-keygen -l -E sha256 -f "$dir/host_ed25519.pub" | awk '{print $2}')"

mkdir -p "$dir/sftp/outbound" "$dir/sftp/inbound"
chown -R "$user" "$dir/sftp" "$dir/authorized_keys"

# A free port on loopback.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat >"$dir/sshd_config" <<CONFIG
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication $([ -n "$password" ] && echo yes || echo no)
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $user
AllowTcpForwarding no
X11Forwarding no
Subsystem sftp internal-sftp
ForceCommand internal-sftp -d $dir/sftp
LogLevel VERBOSE
CONFIG
"$sshd" -t -f "$dir/sshd_config" -p "$port" || { echo "with-sshd: the configuration was refused" >&2; exit 1; }
"$sshd" -D -e -f "$dir/sshd_config" -p "$port" >"$dir/sshd.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$dir/sshd.log" >&2
    echo "with-sshd: sshd did not start" >&2
    exit 1
  fi
  sleep 0.1
done

export CLINICDESK_SFTP_HOST=127.0.0.1
export CLINICDESK_SFTP_PORT="$port"
export CLINICDESK_SFTP_USER="$user"
export CLINICDESK_SFTP_KEY="$dir/client_ed25519"
export CLINICDESK_SFTP_HOSTKEY_SHA256="$fingerprint"
export CLINICDESK_SFTP_ROOT="$dir/sftp"
if [ -n "$password" ]; then
  export CLINICDESK_SFTP_PASSWORD="$password"
fi
status=0
"$@" || status=$?
exit "$status"
