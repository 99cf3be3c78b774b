"""Serving a model that runs no network never imports torch (checked in a fresh interpreter)."""

import json
import subprocess
import sys


def test_serving_a_model_without_a_network_never_imports_torch(tiny_model, tiny_set):
    image = tiny_set / "fake" / "f00.png"
    code = (
        "import io, json, sys\n"
        "from facetruth.web import create_app\n"
        f"app = create_app({{'FACETRUTH_MODEL': {str(tiny_model)!r}}})\n"
        "app.extensions['facetruth'].warm_up()\n"
        "client = app.test_client()\n"
        "assert client.get('/').status_code == 200\n"
        f"upload = (io.BytesIO(open({str(image)!r}, 'rb').read()), 'f00.png')\n"
        "row = client.post('/api/v1/predict', data={'files': [upload]}).get_json()['results'][0]\n"
        "assert row['error'] is None and row['sentence'], row\n"
        "print(json.dumps([m for m in ('torch', 'torchvision', 'timm') if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
