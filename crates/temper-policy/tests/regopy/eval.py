"""The deny and warn sets of Rego policies by rego-cpp (PyPI regopy), a second
Rego engine, for crates/temper-policy/tests/regopy.rs.

    python eval.py REQUEST.json

REQUEST is {"modules": [paths], "data": [JSON paths], "input": path, "rules": ["data.main.deny", ...]}.
Prints {"data.main.deny": [messages, sorted], ...}: a message is a string, an
object's "msg", else the member as compact JSON; an undefined rule has none.
Exit 2 when rego-cpp reports an error.
"""

import json
import sys

from regopy import Interpreter


def message(member):
    if isinstance(member, str):
        return member
    if isinstance(member, dict) and isinstance(member.get("msg"), str):
        return member["msg"]
    return json.dumps(member, separators=(",", ":"), sort_keys=True)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    rego = Interpreter()
    for path in request["modules"]:
        with open(path, encoding="utf-8") as f:
            rego.add_module(path, f.read())
    for path in request["data"]:
        with open(path, encoding="utf-8") as f:
            rego.add_data_json(f.read())
    with open(request["input"], encoding="utf-8") as f:
        rego.set_input_term(f.read())
    out = {}
    for rule in request["rules"]:
        result = rego.query(f"x := {rule}")
        text = str(result)
        if not result.ok():
            print(f"{rule}: {text}", file=sys.stderr)
            sys.exit(2)
        if text == "undefined":
            out[rule] = []
            continue
        value = json.loads(text)["bindings"]["x"]
        members = value if isinstance(value, list) else [value]
        out[rule] = sorted({message(m) for m in members})
    json.dump(out, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
