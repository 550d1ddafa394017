"""Secret files: created once, readable by their owner only; a shared one is reported."""

import secrets
import stat

from ase_impact.core import secret_files
from ase_impact.core.secret_files import create_secret_file, shared_mode


def test_a_new_secret_file_is_private_and_random(tmp_path):
    first = create_secret_file(tmp_path / "a" / "secret.key", lambda path: path.read_bytes())
    second = create_secret_file(tmp_path / "b" / "secret.key", lambda path: path.read_bytes())
    assert len(first.strip()) == 64 and first != second
    assert stat.S_IMODE((tmp_path / "a" / "secret.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    assert shared_mode(tmp_path / "a" / "secret.key") is None


def test_a_file_created_first_by_another_process_is_read_not_replaced(tmp_path):
    path = tmp_path / "secret.key"
    path.write_text("theirs\n")
    assert create_secret_file(path, lambda p: p.read_bytes()) == b"theirs\n"


def test_a_run_starting_while_another_writes_the_secret_reads_the_whole_of_it(
    tmp_path, monkeypatch
):
    # Two `ase-impact run` started together: the second must never read the first one's file
    # before its secret is written (it used to find it empty and stop on « clé trop courte »).
    path = tmp_path / "secret.key"
    draw = secrets.token_hex
    read_by_the_other_run = []

    def draw_while_another_run_starts(nbytes):
        monkeypatch.setattr(secret_files.secrets, "token_hex", draw)
        read_by_the_other_run.append(create_secret_file(path, lambda p: p.read_bytes()))
        return draw(nbytes)

    monkeypatch.setattr(secret_files.secrets, "token_hex", draw_while_another_run_starts)
    mine = create_secret_file(path, lambda p: p.read_bytes())
    assert read_by_the_other_run == [mine] and len(mine.strip()) == 64
    assert [entry.name for entry in tmp_path.iterdir()] == ["secret.key"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_file_others_can_read_is_reported_with_its_mode(tmp_path):
    path = tmp_path / "secret.key"
    path.write_text("x")
    path.chmod(0o644)
    assert shared_mode(path) == 0o644


def test_a_secrets_folder_others_could_read_is_made_private(tmp_path):
    folder = tmp_path / "secrets"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    create_secret_file(folder / "cle", lambda path: path.read_bytes())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
