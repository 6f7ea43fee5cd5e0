// Runs dynalite and ends it when the stack that started it ends, however it ends (kill -9 too):
// the stack holds the write end of our stdin and never writes to it, so the kernel closes it when
// the stack dies and we read end-of-file. (prctl's parent-death signal would fire when the
// *thread* that spawned us exits, and the stack may start or restart us from any thread.)
// Usage: node dynalite_guard.js <path to dynalite/cli.js> [dynalite options ...]
'use strict'

const cli = process.argv[2]
process.argv.splice(2, 1) // dynalite's cli reads its options from argv[2:]

function stop () { process.exit(0) }
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.on('error', stop)
process.stdin.resume()

require(cli)
