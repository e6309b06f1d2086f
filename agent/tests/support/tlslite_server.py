"""A TLS server that still speaks SSL 3.0 with RC4 and 3DES, for the
legacy-TLS component tests (Debian's OpenSSL 3 cannot). Uses tlslite-ng
(pure Python, from PyPI).

Usage: tlslite_server.py PORT CERT_PEM KEY_PEM
Serves 127.0.0.1:PORT, one connection at a time, until stdin closes or
120 seconds pass. Prints "ready" once listening.
"""

import socket
import sys
import threading
import time

from tlslite import HandshakeSettings, TLSConnection, X509CertChain, parsePEMKey


def main():
    port = int(sys.argv[1])
    with open(sys.argv[2]) as f:
        chain = X509CertChain()
        chain.parsePemList(f.read())
    with open(sys.argv[3]) as f:
        key = parsePEMKey(f.read(), private=True)

    settings = HandshakeSettings()
    settings.minVersion = (3, 0)
    settings.maxVersion = (3, 3)
    settings.cipherNames = ["aes128", "3des", "rc4"]
    settings.macNames = ["sha", "sha256", "md5"]
    settings.keyExchangeNames = ["rsa"]

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    listener.settimeout(0.5)

    # Stop when the test drops its handle (stdin closes) or after 120 s.
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    deadline = time.monotonic() + 120
    print("ready", flush=True)
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            sock, _ = listener.accept()
        except socket.timeout:
            continue
        sock.settimeout(5)
        conn = TLSConnection(sock)
        try:
            conn.handshakeServer(certChain=chain, privateKey=key, settings=settings)
            conn.close()
        except Exception:
            pass
        finally:
            sock.close()


if __name__ == "__main__":
    main()
