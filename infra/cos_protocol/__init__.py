"""COS XML API pieces without I/O, shared by the local gateway's COS endpoint and the test emulator."""
