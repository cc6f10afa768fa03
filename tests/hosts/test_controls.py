"""MLPS 2.0 level 3 (GB/T 22239-2019) computing-environment and boundary controls, checked on each live host.

Each test is named by its clause. Expected values come from the standard's reading in
/work/shared/reference/controls.md (CMP-xx rows), not from the playbooks' defaults. A machine-wide
setting on a test host is skipped with "not enforced here", never passed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra.hosts.inventory import Host

MODERN_CIPHERS = {"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com",
                  "aes256-ctr", "aes192-ctr", "aes128-ctr"}
MODERN_MACS = {"hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com"}
MODERN_KEX = {"sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
              "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512"}
FORBIDDEN_PACKAGES = ("telnet", "telnetd", "rsh-client", "rsh-server", "ftp", "tftp", "tftpd", "nis", "talk",
                      "xinetd", "vsftpd", "samba", "rpcbind", "avahi-daemon", "cups")
LOG_PORT = 6514


def sshd_settings(host: Any, address: str | None = None) -> dict[str, str]:
    """The effective sshd settings (for a connection from ``address`` when given: Match blocks applied)."""
    command = "sshd -T"
    if address:
        command += f" -C user=root,host=probe,addr={address}"
    out = host.check_output(command)
    return {k: v for k, _, v in (line.partition(" ") for line in out.splitlines())}


def conf_values(text: str, separator: str = "=") -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if separator in line:
            key, _, value = line.partition(separator)
        else:
            key, _, value = line.partition(" ")
        values[key.strip()] = value.strip()
    return values


def login_defs(host: Any) -> dict[str, str]:
    values = {}
    for line in host.file("/etc/login.defs").content_string.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#"):
            values[parts[0]] = parts[1]
    return values


def test_8_1_4_1_a_password_complexity(host: Any) -> None:
    conf = conf_values(host.file("/etc/security/pwquality.conf").content_string)
    assert int(conf.get("minlen", "0")) >= 8, "pam_pwquality minlen below 8"
    classes = int(conf.get("minclass", "0")) >= 3 or all(conf.get(k) == "-1" for k in ("dcredit", "ucredit",
                                                                                          "lcredit", "ocredit"))
    assert classes, "pam_pwquality does not require 3 character classes"
    assert "enforce_for_root" in conf, "complexity not enforced for root"
    assert re.search(r"^password\s+\S+\s+pam_pwquality\.so", host.file("/etc/pam.d/common-password").content_string,
                     re.M), "pam_pwquality not in the password stack"


def test_8_1_4_1_a_password_ageing(host: Any) -> None:
    defs = login_defs(host)
    assert int(defs.get("PASS_MAX_DAYS", "99999")) <= 90
    assert int(defs.get("PASS_MIN_DAYS", "0")) >= 1


def test_8_1_4_1_a_no_empty_password(host: Any) -> None:
    shadow = host.file("/etc/shadow").content_string
    empty = [line.split(":")[0] for line in shadow.splitlines() if line.count(":") >= 2 and line.split(":")[1] == ""]
    assert not empty, f"accounts with an empty password: {empty}"
    uid0 = [line.split(":")[0] for line in host.file("/etc/passwd").content_string.splitlines()
            if line.split(":")[2] == "0"]
    assert uid0 == ["root"], f"accounts with UID 0: {uid0}"


def test_8_1_4_1_b_login_failure_lockout(host: Any) -> None:
    conf = conf_values(host.file("/etc/security/faillock.conf").content_string)
    assert 0 < int(conf.get("deny", "0")) <= 5, "faillock deny must be 1-5"
    unlock = int(conf.get("unlock_time", "0"))
    assert unlock == 0 or unlock >= 600, "faillock unlock_time below 600 s"
    auth = "\n".join(line for line in host.file("/etc/pam.d/common-auth").content_string.splitlines()
                     if not line.lstrip().startswith("#"))
    assert re.search(r"^auth\s+required\s+pam_faillock\.so\s+preauth", auth, re.M), "no pam_faillock preauth"
    assert re.search(r"^auth\s+\[default=die\]\s+pam_faillock\.so\s+authfail", auth, re.M), "no pam_faillock authfail"
    assert "nullok" not in auth, "pam_unix nullok accepts empty passwords"
    sshd = sshd_settings(host)
    assert int(sshd["maxauthtries"]) <= 4
    assert int(sshd["logingracetime"]) <= 60


def test_8_1_4_1_b_idle_timeout(host: Any) -> None:
    out = host.run("bash -lc 'echo $TMOUT; readonly -p | grep -c TMOUT'")
    assert out.rc == 0, out.stderr
    value, readonly = out.stdout.split()[:2]
    assert 0 < int(value) <= 600, f"TMOUT is {value!r}"
    assert readonly == "1", "TMOUT is not readonly"
    sshd = sshd_settings(host)
    assert 0 < int(sshd["clientaliveinterval"]) <= 300
    assert int(sshd["clientalivecountmax"]) <= 3


def test_8_1_4_1_c_ssh_hardened(host: Any) -> None:
    sshd = sshd_settings(host)
    assert sshd["passwordauthentication"] == "no"
    assert sshd["kbdinteractiveauthentication"] == "no"
    assert sshd["permitemptypasswords"] == "no"
    assert sshd["pubkeyauthentication"] == "yes"
    assert set(sshd["ciphers"].split(",")) <= MODERN_CIPHERS, sshd["ciphers"]
    assert set(sshd["macs"].split(",")) <= MODERN_MACS, sshd["macs"]
    assert set(sshd["kexalgorithms"].split(",")) <= MODERN_KEX, sshd["kexalgorithms"]
    banner = sshd.get("banner", "none")
    assert banner != "none" and host.file(banner).size > 0, "no login banner"


def test_8_1_4_2_b_root_login_management_only(host: Any, target: Host, lab_vars: dict[str, Any]) -> None:
    # From any address outside the management network root may not log in at all.
    for outside in ("10.20.0.99", "10.30.0.99", "192.0.2.99"):
        assert sshd_settings(host, outside)["permitrootlogin"] == "no", f"root login allowed from {outside}"
    # From the management network: keys only.
    assert sshd_settings(host, target.mgmt_address)["permitrootlogin"] in ("without-password", "prohibit-password")


def test_8_1_4_2_d_sudo_logged(host: Any) -> None:
    assert host.run("visudo -c").rc == 0
    sudoers = host.check_output("cat /etc/sudoers /etc/sudoers.d/* 2>/dev/null")
    assert re.search(r"^Defaults\s+logfile=\S+", sudoers, re.M), "sudo does not log to a file"
    assert not re.search(r"NOPASSWD:\s*ALL", sudoers), "NOPASSWD: ALL grants unlogged root"


def test_8_1_4_2_f_file_permissions_and_umask(host: Any) -> None:
    expected = {"/etc/passwd": 0o644, "/etc/group": 0o644, "/etc/shadow": 0o640, "/etc/gshadow": 0o640,
                "/etc/sudoers": 0o440, "/etc/ssh/sshd_config": 0o600}
    wrong = {path: oct(host.file(path).mode) for path, mode in expected.items()
             if host.file(path).mode & ~mode or host.file(path).user != "root"}
    assert not wrong, f"too open or not root's: {wrong}"
    assert login_defs(host).get("UMASK") == "027"
    assert host.check_output("bash -lc umask").strip() == "0027"


def test_8_1_4_3_a_audit_rules(host: Any) -> None:
    rules = host.file("/etc/audit/rules.d/egov.rules").content_string
    for watched in ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/sudoers", "/var/log/lastlog"):
        assert re.search(rf"^-w {re.escape(watched)} -p \S*w", rules, re.M), f"{watched} not audited"
    assert re.search(r"-S execve .*euid=0", rules), "privilege use (execve as euid 0) not audited"


def test_8_1_4_3_a_audit_daemon(host: Any, real_host: bool) -> None:
    if not real_host:
        pytest.skip("not enforced here: kernel audit is machine-wide; auditd runs on real hosts only")
    assert host.process.filter(comm="auditd"), "auditd is not running"


def test_8_1_4_3_b_time_source(host: Any, lab_vars: dict[str, Any]) -> None:
    servers = re.findall(r"^(?:server|pool)\s+(\S+)", host.file("/etc/chrony/chrony.conf").content_string, re.M)
    assert servers == [lab_vars["egov_time_source"]], f"time sources {servers}"


def test_8_1_4_3_c_logs_to_log_host(host: Any, target: Host, lab_vars: dict[str, Any]) -> None:
    assert host.process.filter(comm="rsyslogd"), "rsyslogd is not running"
    config = host.check_output("cat /etc/rsyslog.conf /etc/rsyslog.d/*.conf")
    if target.role == "loghost":
        assert host.socket(f"tcp://0.0.0.0:{LOG_PORT}").is_listening, "log host does not receive logs"
        rotate = host.file("/etc/logrotate.d/egov-remote").content_string
        kept = re.search(r"^\s*rotate\s+(\d+)", rotate, re.M)
        assert kept and int(kept.group(1)) >= 180, "remote logs kept < 180 days"
    else:
        assert f'target="{lab_vars["egov_log_host"]}"' in config, "logs are not forwarded to the log host"
    if not lab_vars.get("egov_real_host"):
        assert not re.search(r'^\s*module\(load="imklog"', config, re.M), "a test host reads the machine's kernel log"


def test_8_1_4_4_a_minimal_installation(host: Any) -> None:
    present = [name for name in FORBIDDEN_PACKAGES if host.package(name).is_installed]
    assert not present, f"unneeded packages installed: {present}"


def test_8_1_4_4_b_only_needed_listeners(host: Any, target: Host) -> None:
    allowed = {22} | ({LOG_PORT} if target.role == "loghost" else set())
    ports = {int(spec.rsplit(":", 1)[1]) for spec in host.socket.get_listening_sockets()
             if spec.startswith(("tcp", "udp")) and not spec.split("://")[1].startswith(("127.", "[::1]", "::1"))}
    assert ports <= allowed, f"unexpected listeners: {sorted(ports - allowed)}"


def test_8_1_3_1_forwarding_by_role(host: Any, target: Host) -> None:
    expected = "1" if target.role == "gateway" else "0"
    assert host.check_output("sysctl -n net.ipv4.ip_forward") == expected


def test_8_1_4_4_network_stack(host: Any) -> None:
    expected = {"net.ipv4.conf.all.accept_redirects": "0", "net.ipv4.conf.all.send_redirects": "0",
                "net.ipv4.conf.all.accept_source_route": "0", "net.ipv4.conf.all.rp_filter": "1",
                "net.ipv4.tcp_syncookies": "1"}
    wrong = {key: host.check_output(f"sysctl -n {key}") for key in expected}
    wrong = {key: value for key, value in wrong.items() if value != expected[key]}
    assert not wrong, f"network keys not at level 3: {wrong}"


def test_8_1_4_4_kernel_hardening(host: Any, real_host: bool) -> None:
    expected = {"kernel.randomize_va_space": "2", "kernel.dmesg_restrict": "1", "fs.protected_hardlinks": "1",
                "fs.protected_symlinks": "1", "fs.suid_dumpable": "0"}
    live = {key: host.check_output(f"sysctl -n {key}") for key in expected}
    if not real_host:
        pytest.skip("not enforced here (machine-wide keys): "
                    + ", ".join(f"{k}={v} (wants {expected[k]})" for k, v in live.items()))
    wrong = {key: value for key, value in live.items() if value != expected[key]}
    assert not wrong, f"kernel keys not at level 3: {wrong}"


@pytest.mark.roles("bastion", "loghost")
def test_8_1_4_4_c_management_services_restricted(host: Any, lab_vars: dict[str, Any]) -> None:
    table = host.run("nft list table inet egov_mgmt_input")
    assert table.rc == 0, "no input filter on the management segment"
    assert f"ip saddr {lab_vars['egov_controller']} tcp dport 22 accept" in table.stdout, "controller SSH rule missing"
    assert re.search(r"counter packets \d+ bytes \d+ drop", table.stdout), "no final drop"
    assert "policy accept" in table.stdout and f"ip saddr != {lab_vars['egov_mgmt_network']} accept" in table.stdout


@pytest.mark.roles("gateway")
def test_8_1_3_2_a_bridge_default_deny(host: Any) -> None:
    live = host.check_output("nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'")
    applied = host.file("/var/lib/egov/bridge.ruleset")
    assert applied.exists, "no bridge ruleset was ever applied"
    assert live.strip() == applied.content_string.strip(), "live ruleset differs from the compiled one (drift)"
    assert re.search(r"hook forward priority filter; policy drop;", live), "forward policy is not drop"
    assert re.search(r"ct state established,related accept", live)
    assert re.search(r"log prefix \"egov-bridge drop: \" group \d+", live) or re.search(r"log group \d+", live), \
        "drops are not logged to NFLOG"
    tables = re.findall(r"^table (\S+ \S+)", live, re.M)
    assert tables == ["inet egov_bridge"], f"unexpected tables: {tables}"
