"""Runs the Tiltfile under Python with Tilt's builtins recorded instead of executed, and prints the calls as JSON.

Starlark is close enough to Python for the Tiltfile's syntax; `local` really runs (the synth), everything else is
only recorded, so charts/tiltfile.test.ts can check the wiring without a Tilt binary or a cluster.
Usage: python3 charts/tiltfile-harness.py [tilt args as JSON, e.g. '{"producers": "4"}']
"""
import json
import os
import subprocess
import sys

calls = []
args = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}


def recorder(name):
    def record(*a, **k):
        calls.append({'fn': name, 'args': list(a), 'kwargs': k})

    return record


class Config:
    def define_string(self, name, usage=''):
        calls.append({'fn': 'config.define_string', 'args': [name], 'kwargs': {}})

    def parse(self):
        return args


def local(cmd, quiet=False, echo_off=False, env=None):
    merged = dict(os.environ)
    merged.update(env or {})
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, env=merged).stdout


# Tilt's decode_yaml_stream, by the project's own YAML parser (Python has none built in).
YAML_TO_JSON = ("import { parseAllDocuments } from 'yaml'; let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', "
                "() => console.log(JSON.stringify(parseAllDocuments(s).map((d) => d.toJSON()).filter(Boolean))));")


def decode_yaml_stream(text):
    out = subprocess.run(['node', '--input-type=module', '-e', YAML_TO_JSON], input=text, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


names = ['version_settings', 'helm_resource', 'helm_repo', 'watch_file', 'k8s_yaml', 'k8s_kind', 'docker_build',
         'k8s_resource', 'local_resource']
builtins = {name: recorder(name) for name in names}
builtins.update(config=Config(), local=local, decode_json=json.loads, encode_json=json.dumps,
                decode_yaml_stream=decode_yaml_stream,
                link=lambda url, name: url,
                TRIGGER_MODE_MANUAL='manual', load=lambda *a: None)
with open('Tiltfile') as f:
    exec(compile(f.read(), 'Tiltfile', 'exec'), builtins)
json.dump(calls, sys.stdout)
