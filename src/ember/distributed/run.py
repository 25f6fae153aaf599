"""The launcher: ``ember run --nproc-per-node N script.py`` (torchrun's flags) over mpiexec.

    ember run --nproc-per-node 2 train.py --epochs 3
    python -m ember.distributed.run --nproc-per-node 2 train.py --epochs 3

The ranks are one MPI job started by the ``mpiexec`` installed beside mpi4py (MPICH from PyPI);
each gets RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT as
torchrun sets them, and runs the script as ``ember run script.py`` does (``import torch`` loads
ember). When a rank fails, the launcher exits non-zero and names it.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

__all__ = ["find_mpiexec", "main", "mpiexec_command"]

USAGE = """\
usage: ember run [--nproc-per-node N] [--nnodes 1] [--node-rank 0] [--master-addr ADDR]
                 [--master-port PORT] [--standalone] SCRIPT [ARGS...]"""


def find_mpiexec():
    """The mpiexec of this environment (beside its python), else the first on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    found = shutil.which("mpiexec")
    if found is None:
        err = FileNotFoundError("mpiexec not found: ember's launcher starts the ranks with MPI")
        from .._errors import note

        note(err, "Install MPI with `pip install ember[distributed]` (mpi4py and MPICH), in the "
                  "environment whose python runs ember.")
        raise err
    return found


def mpiexec_command(nprocs, argv, env=None):
    """The command that starts ``nprocs`` copies of ``argv`` (a list) as one MPI job."""
    cmd = [find_mpiexec(), "-n", str(nprocs)]
    for key, value in (env or {}).items():
        cmd += ["-genv", key, str(value)]
    return cmd + list(argv)


def _parser():
    p = argparse.ArgumentParser(prog="ember run", usage=USAGE, allow_abbrev=False, add_help=True)
    p.add_argument("--nproc-per-node", "--nproc_per_node", dest="nproc", default="1")
    p.add_argument("--nnodes", default="1")
    p.add_argument("--node-rank", "--node_rank", dest="node_rank", type=int, default=0)
    p.add_argument("--master-addr", "--master_addr", dest="master_addr", default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", dest="master_port", type=int,
                   default=29500)
    p.add_argument("--standalone", action="store_true")
    p.add_argument("script")
    p.add_argument("args", nargs=argparse.REMAINDER)
    return p


def main(argv=None):
    """Parse torchrun's flags, start the ranks, and return the job's exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    opts = _parser().parse_args(argv)
    if opts.nproc in ("auto", "cpu"):
        nproc = os.cpu_count() or 1
    else:
        try:
            nproc = int(opts.nproc)
        except ValueError:
            sys.stderr.write(f"ember run: error: --nproc-per-node must be a number, 'auto' or "
                             f"'cpu', not {opts.nproc!r}\n")
            return 2
    if nproc < 1:
        sys.stderr.write("ember run: error: --nproc-per-node must be at least 1\n")
        return 2
    if opts.nnodes not in ("1", "1:1"):
        sys.stderr.write(
            f"ember run: error: --nnodes {opts.nnodes}: ember starts every rank of a job from "
            "one mpiexec, not one launcher per machine. List the machines in a hosts file and "
            "run `mpiexec -f hosts -n <total ranks> python script.py` once (or `srun` under "
            "Slurm); see docs/distributed.md.\n")
        return 2
    if not os.path.isfile(opts.script):
        sys.stderr.write(f"ember run: can't open file {os.path.abspath(opts.script)!r}: "
                         "No such file or directory\n")
        return 2
    if opts.standalone:
        opts.master_addr = "127.0.0.1"
    with tempfile.TemporaryDirectory(prefix="ember-run-") as errors:
        env = {"MASTER_ADDR": opts.master_addr, "MASTER_PORT": opts.master_port,
               "WORLD_SIZE": nproc, "LOCAL_WORLD_SIZE": nproc, "GROUP_RANK": opts.node_rank,
               "EMBER_RUN_ERRORS": errors}
        cmd = mpiexec_command(nproc, [sys.executable, "-m", "ember.distributed._worker",
                                      opts.script, *opts.args], env)
        job = subprocess.Popen(cmd)
        try:
            rc = supervise(job, errors)
        except KeyboardInterrupt:
            job.terminate()
            return 130
        if rc != 0:
            _report(errors, rc)
    return rc


def supervise(job, errors, grace=5.0):
    """Wait for the MPI job; once a rank has failed, give the others ``grace`` seconds to stop
    and then end the job (a rank stuck outside MPI would otherwise keep it alive)."""
    failed_at = None
    while True:
        try:
            return job.wait(0.1)
        except subprocess.TimeoutExpired:
            pass
        if failed_at is None:
            if any(name.endswith(".err") for name in os.listdir(errors)):
                failed_at = time.monotonic()
        elif time.monotonic() - failed_at > grace:
            job.terminate()
            try:
                job.wait(5)
            except subprocess.TimeoutExpired:
                job.kill()
                job.wait()
            return job.returncode or 1


def _report(errors, rc):
    failed = []
    for name in os.listdir(errors):
        if name.endswith(".err"):
            with open(os.path.join(errors, name)) as f:
                text = f.read().strip()
            # the rank that failed first before those that stopped because it did
            failed.append((text.startswith("RuntimeError: Connection closed by peer"),
                           int(name.split(".")[0]), text))
    for _, rank, text in sorted(failed):
        sys.stderr.write(f"ember run: rank {rank} failed (exit code 1): {text}\n")
    if not failed:
        sys.stderr.write(f"ember run: the job failed with exit code {rc}: a rank was killed or "
                         "exited without a Python error\n")


if __name__ == "__main__":
    sys.exit(main())
