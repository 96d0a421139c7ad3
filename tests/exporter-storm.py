# SPDX-License-Identifier: GPL-2.0
# Malformed, slow and concurrent requests against a tlbstat exporter on loopback (bounded loops).
# usage: exporter-storm.py PORT. The hostile clients come from other loopback addresses than the
# scraper (127.0.0.2: 100 slow connections, more than the exporter's per-address limit;
# 127.0.0.3: 300 malformed requests), the scrapes from 127.0.0.1. Prints one line per finding;
# exit 0 when every valid scrape made during the storm got a 200 with the page within 2 s.
import socket, sys, threading, time

port = int(sys.argv[1])
addr = ('127.0.0.1', port)
bad = []

def send(data, read=True, timeout=1):
    s = socket.create_connection(addr, timeout=timeout, source_address=('127.0.0.3', 0))
    try:
        s.sendall(data)
        return s.recv(256) if read else b''
    except OSError:
        return b''
    finally:
        s.close()

def scrape():
    t0 = time.monotonic()
    got = b''
    try:
        s = socket.create_connection(addr, timeout=2)
        s.settimeout(2)
        try:
            s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
        finally:
            s.close()
    except OSError as e:
        bad.append('scrape: %s after %.2f s' % (e, time.monotonic() - t0))
        return
    dt = time.monotonic() - t0
    if not got.startswith(b'HTTP/1.1 200') or b'tlb_node_invalidations_total' not in got or dt > 2:
        bad.append('scrape: %r after %.2f s' % (got[:40], dt))

malformed = [
    b'\x00\x01\x02garbage\r\n\r\n',
    b'GET\r\n\r\n',
    b'GET /metrics HTTP/9.9\r\n\r\n',
    b'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
    b'GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    b'GET /' + b'a' * 70000 + b' HTTP/1.1\r\nHost: x\r\n\r\n',
    b'GET /metrics HTTP/1.1\r\nHost: x\r\n' + b'X-Big: ' + b'b' * 40000 + b'\r\n\r\n',
    b'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + b'c' * 100000,
    b'GET /%00%ff/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n',
    b'BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n',
]

# 100 slow clients: half a request line each, held open (those over the limit are refused)
slow = []
for i in range(100):
    try:
        s = socket.create_connection(addr, timeout=3, source_address=('127.0.0.2', 0))
        s.sendall(b'GET /metr')
        slow.append(s)
    except OSError:
        pass

def storm(n):
    for i in range(n):
        try:
            send(malformed[i % len(malformed)])
        except OSError:
            pass

threads = [threading.Thread(target=storm, args=(60,)) for _ in range(5)]
threads += [threading.Thread(target=scrape) for _ in range(10)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for i in range(10):
    scrape()
for s in slow:
    s.close()
scrape()
for b in bad:
    print(b)
print('storm: 300 malformed, 100 slow, %d of 21 scrapes bad' % len(bad))
sys.exit(1 if bad else 0)
