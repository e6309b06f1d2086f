"""An HL7 v2 MLLP listener for the Trustwatch discovery lab.

Why this and not a Debian package: no Debian package ships an MLLP listener
(Mirth Connect, HAPI and the like are not packaged), so the closest real
implementation available is python-hl7's asyncio MLLP server (PyPI `hl7`,
module `hl7.mllp`). Framing, parsing and the acknowledgement are all
python-hl7's own: every message is answered with `Message.create_ack()`,
naming this listener as the sending application (MSH-3), as an interface
engine does.

Usage: python3 hl7_mllp.py HOST PORT [APPLICATION]
"""

import asyncio
import sys

import hl7.mllp


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    application = sys.argv[3] if len(sys.argv) > 3 else "python-hl7"

    async def answer(reader, writer):
        try:
            while not writer.is_closing():
                message = await reader.readmessage()
                writer.writemessage(message.create_ack(application=application))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass  # the peer closed
        except Exception as e:  # a malformed message: log it, drop the peer
            print(f"hl7_mllp: {type(e).__name__}: {e}", flush=True)
        finally:
            writer.close()

    async def serve():
        server = await hl7.mllp.start_hl7_server(answer, host, port)
        print(f"hl7_mllp: listening on {host}:{port}", flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
