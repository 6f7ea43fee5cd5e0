"""The local stack: runs openmps on one machine the way Tencent SCF runs it in the cloud."""
