"""deploy/local/debian-packages.sh, which `make run`, `make test` and .ci/run call: its decision
with dpkg-query, id and apt-get faked (the script uses no other program, so PATH holds only the
fakes): everything present, something missing as root, something missing as another user, and
a machine without dpkg."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "local" / "debian-packages.sh"
LIST = ["postgresql", "redis-server", "chromium", "hunspell-en-us"]


def fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path):
    """A machine whose installed packages and user the test chooses; apt-get writes its calls to
    a log instead of installing anything."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt-get.log"

    def run(*, installed=(), uid=1000, dpkg=True):
        (tmp_path / "installed").write_text("".join(f"{p}\n" for p in installed))
        if dpkg:
            # Debian's answer for an installed package; for an unknown one an error, exit 1.
            fake(
                bin_dir,
                "dpkg-query",
                f'while read -r p; do [ "$p" = "${{@: -1}}" ] && {{ echo -n installed; exit 0; }}; '
                f'done < {tmp_path}/installed; echo "no packages found" >&2; exit 1',
            )
        else:
            (bin_dir / "dpkg-query").unlink(missing_ok=True)
        fake(bin_dir, "id", f'[ "$1" = -u ] && echo {uid}')
        fake(bin_dir, "apt-get", f'echo "$*" >> {log}')
        log.unlink(missing_ok=True)
        done = subprocess.run(
            ["/bin/bash", str(SCRIPT)],
            env={"PATH": str(bin_dir)},
            capture_output=True,
            text=True,
            timeout=30,
        )
        calls = log.read_text().splitlines() if log.exists() else []
        return done, calls

    return run


def test_the_list_is_the_one_ci_and_make_use():
    listed = [
        line.split("#")[0].strip()
        for line in (REPO / "deploy/local/debian-packages.txt").read_text().splitlines()
    ]
    assert [name for name in listed if name] == LIST
    assert "deploy/local/debian-packages.sh" in (REPO / ".ci/run").read_text()
    assert "apt-get install" not in (REPO / ".ci/run").read_text()  # one list, one place
    makefile = (REPO / "Makefile").read_text()
    assert "\nrun: debian-packages install\n" in makefile
    assert "\ntest: debian-packages install\n" in makefile


def test_when_everything_is_installed_it_does_nothing(machine):
    done, calls = machine(installed=LIST, uid=0)
    assert (done.returncode, done.stdout, done.stderr, calls) == (0, "", "", [])


def test_as_root_it_installs_only_what_is_missing(machine):
    done, calls = machine(installed=["postgresql", "redis-server"], uid=0)
    assert done.returncode == 0, done.stderr
    assert calls == ["update -qq", "install -y -qq chromium hunspell-en-us"]
    assert done.stdout == (
        "Installing the Debian packages CodeLedger needs: chromium hunspell-en-us\n"
    )


def test_as_another_user_it_prints_the_one_command_and_stops(machine):
    done, calls = machine(installed=["postgresql", "redis-server", "chromium"], uid=1000)
    assert done.returncode == 1
    assert calls == []
    assert done.stderr.splitlines()[-1] == (
        "  sudo apt-get update && sudo apt-get install -y hunspell-en-us"
    )
    assert "not installed: hunspell-en-us" in done.stderr


def test_a_machine_without_dpkg_is_told_what_it_needs_and_goes_on(machine):
    done, calls = machine(dpkg=False)
    assert (done.returncode, calls) == (0, [])
    assert done.stderr == (
        "Not a Debian system (no dpkg-query): make sure these are installed: "
        "postgresql redis-server chromium hunspell-en-us\n"
    )
