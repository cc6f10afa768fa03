"""Packets for `egov hosts probe`, run inside a host's network namespace with `ip netns exec`.

``listen tcp:443 udp:53 ...``: bind each port (skipping ones already bound, e.g. sshd), echo what arrives,
print ``ready``. ``connect tcp|udp|icmp ADDRESS [PORT]``: exit 0 when the peer answered, 1 when nothing
came back in time (dropped), 2 when refused (the packet passed but nothing listened).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import sys
import time

TIMEOUT = 2.0


def listen(specs: list[str]) -> None:
    sockets: list[tuple[str, socket.socket]] = []
    for spec in specs:
        proto, port = spec.split(":")
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", int(port)))
        except OSError:
            sock.close()
            continue  # already served (sshd on 22): the connect still proves the path
        if proto == "tcp":
            sock.listen(64)
        sockets.append((proto, sock))
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([s for _, s in sockets], [], [])
        for sock in readable:
            proto = next(p for p, s in sockets if s is sock)
            if proto == "tcp":
                conn, _ = sock.accept()
                with contextlib.suppress(OSError):
                    conn.sendall(b"egov-probe\n")
                conn.close()
            else:
                data, peer = sock.recvfrom(512)
                sock.sendto(data, peer)


def connect(proto: str, address: str, port: int) -> int:
    if proto == "tcp":
        try:
            with socket.create_connection((address, port), timeout=TIMEOUT):
                return 0
        except ConnectionRefusedError:
            return 2
        except OSError:
            return 1
    if proto == "udp":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(TIMEOUT)
            sock.sendto(b"egov-probe", (address, port))
            try:
                sock.recvfrom(512)
                return 0
            except ConnectionRefusedError:
                return 2
            except OSError:
                return 1
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
        ident = os.getpid() & 0xFFFF
        header = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
        payload = b"egov-probe"
        checksum = _checksum(header + payload)
        sock.sendto(struct.pack("!BBHHH", 8, 0, checksum, ident, 1) + payload, (address, 0))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                packet, peer = sock.recvfrom(1024)
            except OSError:
                return 1
            icmp = packet[(packet[0] & 0x0F) * 4:]
            if peer[0] == address and icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident:
                return 0
        return 1


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen(sys.argv[2:])
    else:
        sys.exit(connect(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0))
