"""Cloud side: COS emulator for tests, packaging for SCF, table set-up, CAM policies."""
