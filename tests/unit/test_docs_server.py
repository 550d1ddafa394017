"""`ase-impact docs`: the last build's documentation on the loopback, '/' leading to dbt's."""

import threading
import urllib.error
import urllib.request

from ase_impact.cli.docs_server import docs_server, serve_docs
from ase_impact.core.settings import load_settings


def test_without_any_report_it_says_to_run_first(capsys):
    assert serve_docs(load_settings(), "127.0.0.1", 0) == 1
    assert "lancez d'abord « make run »" in capsys.readouterr().err


def test_it_serves_the_reports_folder_on_the_loopback():
    settings = load_settings()
    settings.dbt_docs_dir.mkdir(parents=True)
    (settings.dbt_docs_dir / "index.html").write_text("<title>dbt</title>", encoding="utf-8")
    server = docs_server(settings, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with urllib.request.urlopen(f"{base}/", timeout=10) as response:
            assert response.url == f"{base}/dbt_docs/"
            assert "<title>dbt</title>" in response.read().decode()
        try:
            urllib.request.urlopen(f"{base}/../secrets/pseudonymisation.key", timeout=10)
            raise AssertionError("outside the reports folder")
        except urllib.error.HTTPError as error:
            assert error.code == 404
    finally:
        server.shutdown()
        server.server_close()
