#!/usr/bin/env python3
"""Writes the known-answer vectors under tests/vectors/ (Python 3 standard library only).

    python3 tests/vectors/make_vectors.py          # rewrite the .txt files beside this script
    python3 tests/vectors/make_vectors.py --check  # exit 1 if a checked-in file differs

Every value here is computed independently of the C code: SHA-256 and HMAC by hashlib/hmac,
Merkle roots by a direct RFC 6962 recursion, the canonical encodings by the layout documented
in src/chain/*.c and include/medchain/codec.h, and Ed25519 signatures by the reference
implementation of RFC 8032 section 6, which this script first checks against the RFC's own
section 7.1 test vectors (TEST 1, 2, 3, copied below).

File format (read by tests/unit/testutil.c): one record per line, '#' starts a comment.
The first word is the record type; then space-separated key=value fields. Values are
lowercase hex unless the key is listed in a comment above the record (decimal numbers).
"""
import hashlib
import hmac
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------------
# Ed25519: the reference code of RFC 8032 section 6 (public domain in the RFC), unchanged in
# substance. Slow, not constant time: fine for making test vectors.

P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493


def _inv(x):
    return pow(x, P - 2, P)


D = -121665 * _inv(121666) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    A = (a[1] - a[0]) * (b[1] - b[0]) % P
    B = (a[1] + a[0]) * (b[1] + b[0]) % P
    C = 2 * a[3] * b[3] * D % P
    Dd = 2 * a[2] * b[2] % P
    E, F, G, H = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * H % P, F * G % P, E * H % P)


def _mul(s, pt):
    acc = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            acc = _add(acc, pt)
        pt = _add(pt, pt)
        s >>= 1
    return acc


def _recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * _inv(D * y * y + 1)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


_GY = 4 * _inv(5) % P
_GX = _recover_x(_GY, 0)
BASE = (_GX, _GY, 1, _GX * _GY % P)


def _compress(pt):
    zi = _inv(pt[2])
    x, y = pt[0] * zi % P, pt[1] * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def _h512q(b):
    return int.from_bytes(hashlib.sha512(b).digest(), "little") % Q


def ed25519_public(seed):
    a, _ = _expand(seed)
    return _compress(_mul(a, BASE))


def ed25519_sign(seed, msg):
    a, prefix = _expand(seed)
    pk = _compress(_mul(a, BASE))
    r = _h512q(prefix + msg)
    rs = _compress(_mul(r, BASE))
    s = (r + _h512q(rs + pk + msg) * a) % Q
    return rs + s.to_bytes(32, "little")


# RFC 8032 section 7.1, TEST 1, TEST 2, TEST 3 (secret key, public key, message, signature).
RFC8032 = [
    ("rfc8032-test1",
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("rfc8032-test2",
     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
     "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("rfc8032-test3",
     "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
     "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]

for _name, _sk, _pk, _msg, _sig in RFC8032:  # the implementation above must reproduce the RFC
    assert ed25519_public(bytes.fromhex(_sk)).hex() == _pk, _name
    assert ed25519_sign(bytes.fromhex(_sk), bytes.fromhex(_msg)).hex() == _sig, _name

SEED1, SEED2, SEED3 = (bytes.fromhex(v[1]) for v in RFC8032)
PK1, PK2, PK3 = (bytes.fromhex(v[2]) for v in RFC8032)

# --------------------------------------------------------------------------------------------
# medchain primitives, written from their documentation


def sha256(b):
    return hashlib.sha256(b).digest()


def tagged(tag, data):
    """mc_hash_tagged: SHA-256(tag || 0x00 || data)."""
    return sha256(tag.encode() + b"\x00" + data)


def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def enc_bytes(b):
    return u32(len(b)) + b


def enc_str(s):
    return enc_bytes(s.encode())


def id_from_pk(pk):
    return tagged("medchain/id", pk)


def merkle_leaf(data):
    return sha256(b"\x00" + data)


def merkle_root(leaves):
    """RFC 6962 MTH over leaf hashes; SHA-256 of nothing for an empty tree."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:]))


def enc_attrs(attrs):
    out = u32(len(attrs))
    for k, v in attrs:
        out += enc_str(k) + enc_str(v)
    return out


def register_unsigned(kind, org, sign_pk, box_pk, attrs):
    return u8(kind) + org + sign_pk + box_pk + enc_attrs(attrs)


def tx_encode(chain, signer, nonce, kind, body, seed):
    """Returns (tx bytes, tx id): version 1 | chain | signer | u64 nonce | u16 kind |
    u32 len | body | Ed25519(tx id), tx id = tagged "medchain/tx" of everything before sig."""
    unsigned = u8(1) + chain + signer + u64(nonce) + u16(kind) + enc_bytes(body)
    txid = tagged("medchain/tx", unsigned)
    return unsigned + ed25519_sign(seed, txid), txid


# --------------------------------------------------------------------------------------------
# The files


def line(rtype, **fields):
    parts = [rtype]
    for k, v in fields.items():
        parts.append("%s=%s" % (k, v.hex() if isinstance(v, (bytes, bytearray)) else v))
    return " ".join(parts)


def hashes_txt():
    out = ["# SHA-256, tagged hashes (SHA-256(tag || 0x00 || msg)), HMAC-SHA-256 (32-byte keys),",
           "# and identity ids (tagged hash \"medchain/id\" of the Ed25519 public key).",
           "# Generated by make_vectors.py; do not edit."]
    msgs = [b"", b"abc", b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            bytes(range(256)) * 4, b"a" * 1000]
    for m in msgs:
        out.append(line("sha256", msg=m, hash=sha256(m)))
    for tag, m in [("medchain/tx", b""), ("medchain/batch", b"abc"),
                   ("medchain/header", bytes(range(64))), ("x", b"\x00\x01")]:
        out.append(line("tagged", tag=tag.encode(), msg=m, hash=tagged(tag, m)))
    for key, m in [(bytes(range(32)), b""), (b"\x0b" * 32, b"Hi There"),
                   (bytes(range(32, 64)), b"medchain" * 20)]:
        out.append(line("hmac", key=key, msg=m, mac=hmac.new(key, m, hashlib.sha256).digest()))
    for _, _, pk, _, _ in RFC8032:
        out.append(line("id", pk=bytes.fromhex(pk), id=id_from_pk(bytes.fromhex(pk))))
    return out


def ed25519_txt():
    out = ["# RFC 8032 section 7.1 TEST 1, 2, 3 (copied from the RFC; sk is the 32-byte seed).",
           "# Generated by make_vectors.py, which checks its own Ed25519 against these values."]
    for name, sk, pk, msg, sig in RFC8032:
        out.append("ed25519 name=%s sk=%s pk=%s msg=%s sig=%s" % (name, sk, pk, msg, sig))
    return out


def merkle_txt():
    out = ["# Merkle roots (RFC 6962 shape). Leaf i is mc_merkle_leaf_tx of the 4 bytes u32be(i),",
           "# i.e. SHA-256(0x00 || u32be(i)); n is decimal. Generated by make_vectors.py."]
    for n in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1000]:
        leaves = [merkle_leaf(u32(i)) for i in range(n)]
        out.append(line("merkle", n=n, root=merkle_root(leaves)))
    out.append("# result leaves: SHA-256(0x00 || tx id || u16be code); code is decimal")
    for code in [0, 6, 14, 65535]:
        txid = sha256(b"txid" + u16(code))
        out.append(line("leafresult", txid=txid, code=code, leaf=merkle_leaf(txid + u16(code))))
    return out


def chain_txt():
    out = ["# Canonical encodings of fixed chain values (layout: src/chain/*.c, docs/format.md).",
           "# Decimal fields: nonce, kind, reason, idkind, time, height, ntx, threshold.",
           "# Generated by make_vectors.py; do not edit."]
    chain = tagged("medchain/chain", b"medchain test vector genesis")
    signer = id_from_pk(PK1)

    # identity.revoke signed by the TEST 1 key: body = target id | u16 reason
    target = id_from_pk(PK2)
    body = target + u16(1)
    tx, txid = tx_encode(chain, signer, 7, 3, body, SEED1)
    out.append(line("txrevoke", chain=chain, signer=signer, sk=SEED1, pk=PK1, nonce=7, kind=3,
                    target=target, reason=1, body=body, id=txid, tx=tx))

    # identity.rotate signed by the TEST 1 key: body = id | sign pk | box pk
    boxpk = bytes([0x5a]) * 32
    body = signer + PK3 + boxpk
    tx, txid = tx_encode(chain, signer, 8, 2, body, SEED1)
    out.append(line("txrotate", chain=chain, signer=signer, sk=SEED1, pk=PK1, nonce=8, kind=2,
                    target=signer, newpk=PK3, newbox=boxpk, body=body, id=txid, tx=tx))

    # identity.register of a provider (TEST 3 key) by the org with the TEST 1 key, no co-signature
    attrs = [("dept", "cardiology"), ("role", "physician")]
    boxpk = bytes([0x11]) * 32
    body = register_unsigned(2, signer, PK3, boxpk, attrs) + u8(0)
    tx, txid = tx_encode(chain, signer, 1, 1, body, SEED1)
    out.append(line("txregister", chain=chain, signer=signer, sk=SEED1, pk=PK1, nonce=1, kind=1,
                    idkind=2, org=signer, newpk=PK3, newbox=boxpk,
                    attrs=",".join("%s=%s" % a for a in attrs).encode(), cosigned=0,
                    body=body, id=txid, tx=tx))

    # identity.register of a patient (TEST 2 key) with the patient's co-signature:
    # cosig = Ed25519 by the patient over tagged "medchain/enrol" of chain | unsigned body
    boxpk = bytes([0x22]) * 32
    unsigned = register_unsigned(3, signer, PK2, boxpk, [])
    cosig_msg = tagged("medchain/enrol", chain + unsigned)
    cosig = ed25519_sign(SEED2, cosig_msg)
    body = unsigned + u8(1) + cosig
    tx, txid = tx_encode(chain, signer, 2, 1, body, SEED1)
    out.append(line("txregister", chain=chain, signer=signer, sk=SEED1, pk=PK1, nonce=2, kind=1,
                    idkind=3, org=signer, newpk=PK2, newbox=boxpk, attrs=b"", cosigned=1,
                    cosigmsg=cosig_msg, cosig=cosig, body=body, id=txid, tx=tx))

    # a validator set (TEST 3, then TEST 1 keys): hash = tagged "medchain/valset" of u32 count |
    # keys in order; stored as u8 version | u64 from height | u32 count | keys
    vset = u32(2) + PK3 + PK1
    out.append(line("valset", pk0=PK3, pk1=PK1, hash=tagged("medchain/valset", vset),
                    bytes=u8(1) + u64(7) + vset))

    # a block header: fixed 309 bytes, hash = tagged "medchain/header"
    f = dict(chain=chain, height=42, prev=sha256(b"prev"), batch=sha256(b"batch"),
             proposer=id_from_pk(PK3), time=1700000000123, ntx=3, txroot=sha256(b"txroot"),
             resroot=sha256(b"resroot"), digest=sha256(b"digest"),
             validators=tagged("medchain/valset", vset), nextvals=sha256(b"next"))
    hdr = (u8(1) + f["chain"] + u64(f["height"]) + f["prev"] + f["batch"] + f["proposer"] +
           u64(f["time"]) + u32(f["ntx"]) + f["txroot"] + f["resroot"] + f["digest"] +
           f["validators"] + f["nextvals"])
    assert len(hdr) == 309
    out.append(line("header", **f, bytes=hdr, hash=tagged("medchain/header", hdr)))

    # an attestation of that header by the validator with the TEST 3 key: Ed25519 over tagged
    # "medchain/attest" of u8 version | chain | u64 height | header hash; 169 bytes encoded
    hhash = tagged("medchain/header", hdr)
    adigest = tagged("medchain/attest", u8(1) + chain + u64(42) + hhash)
    asig = ed25519_sign(SEED3, adigest)
    abytes = u8(1) + chain + u64(42) + hhash + id_from_pk(PK3) + asig
    assert len(abytes) == 169
    out.append(line("attest", chain=chain, height=42, hash=hhash, sk=SEED3, pk=PK3,
                    validator=id_from_pk(PK3), digest=adigest, sig=asig, bytes=abytes))

    # a genesis config: 2 orgs (TEST 1, TEST 2 keys), 1 validator (TEST 3 key) of org 0
    g = u8(1) + enc_str("medchain-vectors") + u64(1700000000000) + u32(2) + u32(2)
    g += enc_str("General Hospital") + enc_str("hospital") + PK1 + bytes([0x31]) * 32
    g += enc_str("Health Authority") + enc_str("regulator") + PK2 + bytes([0x32]) * 32
    g += u32(1) + u32(0) + PK3 + bytes([0x33]) * 32
    out.append(line("genesis", name=b"medchain-vectors", time=1700000000000, threshold=2,
                    org0=b"General Hospital", type0=b"hospital", pk0=PK1, box0=bytes([0x31]) * 32,
                    org1=b"Health Authority", type1=b"regulator", pk1=PK2, box1=bytes([0x32]) * 32,
                    valorg=0, valpk=PK3, valbox=bytes([0x33]) * 32, bytes=g,
                    chain=tagged("medchain/chain", g)))

    # a signed API request digest: tagged "medchain/request" of chain | signer | u64 time |
    # nonce[16] | u32 len | method | u32 len | path | SHA-256(body)
    nonce = bytes(range(16))
    body_hash = sha256(b'{"hello":"world"}')
    digest = tagged("medchain/request", chain + signer + u64(1700000000999) + nonce +
                    enc_str("POST") + enc_str("/v1/tx?wait=1") + body_hash)
    out.append(line("request", chain=chain, signer=signer, time=1700000000999, nonce=nonce,
                    method=b"POST", path=b"/v1/tx?wait=1", bodyhash=body_hash, digest=digest))
    return out


def keys_txt():
    out = ["# Fixed Ed25519 test keys: seed i = SHA-256(\"medchain test key \" || decimal i), public",
           "# key by RFC 8032 key generation. tests/unit/fixture.c holds the same table; test_crypto",
           "# checks the two agree. Generated by make_vectors.py; do not edit."]
    for i in range(8):
        seed = sha256(b"medchain test key %d" % i)
        out.append(line("key", i=i, seed=seed, pk=ed25519_public(seed)))
    return out


FILES = {"hashes.txt": hashes_txt, "keys.txt": keys_txt, "ed25519.txt": ed25519_txt, "merkle.txt": merkle_txt,
         "chain.txt": chain_txt}


def main():
    check = "--check" in sys.argv[1:]
    bad = 0
    for name, fn in FILES.items():
        text = "\n".join(fn()) + "\n"
        path = os.path.join(HERE, name)
        if check:
            with open(path) as f:
                if f.read() != text:
                    print("%s differs from what make_vectors.py produces" % name)
                    bad = 1
        else:
            with open(path, "w") as f:
                f.write(text)
    return bad


if __name__ == "__main__":
    sys.exit(main())
