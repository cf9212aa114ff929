"""A tiny reader for the pcap files tcpdump writes (test-only): Ethernet/IPv4/UDP records."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class UdpRecord:
    outer_src: str
    outer_dst: str
    outer_ttl: int
    outer_df: bool
    sport: int
    dport: int
    udp_length: int
    payload: bytes


def _ip(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def udp_records(path: Path) -> list[UdpRecord]:
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    out = []
    while off + 16 <= len(data):
        _s, _us, incl, _orig = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:  # Ethernet
            if len(frame) < 14 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
        elif linktype == 113:  # Linux cooked
            ip = frame[16:]
        else:
            ip = frame
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        sport, dport, ulen = struct.unpack("!HHH", ip[ihl:ihl + 6])
        out.append(UdpRecord(_ip(ip[12:16]), _ip(ip[16:20]), ip[8], bool(ip[6] & 0x40),
                             sport, dport, ulen, bytes(ip[ihl + 8:])))
    return out
