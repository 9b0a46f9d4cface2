"""Verifies a DSSE envelope with PyPI's securesystemslib (tests/interop.rs runs
it on what temper-trust writes):
    python verify-dsse.py ENVELOPE KEY_PEM PAE_OUT
The key's id is computed here, independently, as temper-trust documents it
(lowercase hex SHA-256 of the SPKI DER); securesystemslib only checks
signatures whose keyid is the key's, so this also checks the keyid temper
writes. The pre-authentication encoding securesystemslib computed is written
to PAE_OUT for the test to compare with temper's.
Exit 0: verified; 1: refused (the reason on stderr); 2: usage.
"""

import hashlib
import json
import sys

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey


def main(argv):
    if len(argv) != 4:
        print("usage: python verify-dsse.py ENVELOPE KEY_PEM PAE_OUT", file=sys.stderr)
        return 2
    envelope_path, key_path, pae_out = argv[1:]
    try:
        with open(key_path, "rb") as f:
            public = load_pem_public_key(f.read())
        keyid = hashlib.sha256(public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).hexdigest()
        key = SSlibKey.from_crypto(public, keyid=keyid)
        with open(envelope_path, "rb") as f:
            envelope = Envelope.from_dict(json.load(f))
        with open(pae_out, "wb") as f:
            f.write(envelope.pae())
        envelope.verify([key], 1)
    except Exception as e:  # any refusal is the verdict, reported on one line
        print(f"{envelope_path}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print("verified")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
