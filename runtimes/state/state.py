# wasmplay: keep variables between runs (imported by site as sitecustomize
# when the session's "keep variables" switch is on).
#
# Before the program runs, the public globals saved by the last successful
# run are put back into __main__; when it exits, the JSON-representable
# public globals are saved for the next run. The program's own file is not
# touched, so tracebacks keep their line numbers. Values JSON cannot hold
# as they are (datetime, date, time, timedelta, Path, set, tuple, bytes,
# Decimal, non-finite floats) are tagged; anything else is skipped and
# named in the run's report.
#
# Start-up cost matters (this runs before every such run), so nothing heavy
# is imported: `json` and `base64` pull in `re`, whose import costs about
# half a CPython start, so JSON goes through the C accelerator `_json`
# directly (falling back to `json` where it is missing), and datetime,
# pathlib and decimal values are recognised through sys.modules: a value of
# one of their types can only exist if the program imported the module.
import atexit as _atexit


def _wasmplay_state():
    import __main__, binascii, math, sys

    def dumps(obj):
        try:
            import _json

            def refuse(o):
                raise TypeError("not JSON: " + type(o).__name__)

            # The same C encoder json.dumps uses for compact one-shot output.
            encode = _json.make_encoder(
                {}, refuse, _json.encode_basestring, None, ":", ",", False, False, False
            )
            return "".join(encode(obj, 0))
        except (ImportError, AttributeError, TypeError):
            import json

            return json.dumps(obj, separators=(",", ":"), allow_nan=False)

    def loads(text):
        try:
            import _json

            class Context:
                strict = True
                object_hook = None
                object_pairs_hook = None
                parse_float = float
                parse_int = int
                parse_constant = None
                memo = {}

            def refuse(name):
                raise ValueError("not JSON: " + name)

            Context.parse_constant = staticmethod(refuse)
            value, end = _json.make_scanner(Context())(text, 0)
            if text[end:].strip():
                raise ValueError("extra data after the JSON value")
            return value
        except (ImportError, AttributeError, TypeError):
            import json

            return json.loads(text)

    def module(name):
        return sys.modules.get(name)

    class Skip(Exception):
        pass

    def encode(v, depth=0):
        if depth > 100:
            raise Skip("nested too deeply")
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else {"__type__": "float", "value": repr(v)}
        if isinstance(v, list):
            return [encode(x, depth + 1) for x in v]
        if isinstance(v, tuple):
            return {"__type__": "tuple", "items": [encode(x, depth + 1) for x in v]}
        if isinstance(v, (set, frozenset)):
            return {"__type__": "set", "items": [encode(x, depth + 1) for x in v]}
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise Skip("dict with non-string keys")
            d = {k: encode(x, depth + 1) for k, x in v.items()}
            return {"__type__": "dict", "value": d} if "__type__" in d else d
        if isinstance(v, (bytes, bytearray)):
            return {"__type__": "bytes", "value": binascii.b2a_base64(v, newline=False).decode("ascii")}
        dt = module("datetime")
        if dt is not None:
            if isinstance(v, dt.datetime):
                return {"__type__": "datetime", "value": v.isoformat()}
            if isinstance(v, dt.date):
                return {"__type__": "date", "value": v.isoformat()}
            if isinstance(v, dt.time):
                return {"__type__": "time", "value": v.isoformat()}
            if isinstance(v, dt.timedelta):
                return {"__type__": "timedelta", "value": v.total_seconds()}
        pl = module("pathlib")
        if pl is not None and isinstance(v, pl.PurePath):
            return {"__type__": "path", "value": str(v)}
        dec = module("decimal")
        if dec is not None and isinstance(v, dec.Decimal):
            return {"__type__": "decimal", "value": str(v)}
        raise Skip(type(v).__name__)

    def decode(v):
        if isinstance(v, list):
            return [decode(x) for x in v]
        if not isinstance(v, dict):
            return v
        t = v.get("__type__")
        if t is None:
            return {k: decode(x) for k, x in v.items()}
        if t == "dict":
            return {k: decode(x) for k, x in v["value"].items()}
        if t == "tuple":
            return tuple(decode(x) for x in v["items"])
        if t == "set":
            return set(decode(x) for x in v["items"])
        if t == "float":
            return float(v["value"])
        if t == "bytes":
            return binascii.a2b_base64(v["value"])
        if t in ("datetime", "date", "time", "timedelta"):
            import datetime

            if t == "timedelta":
                return datetime.timedelta(seconds=v["value"])
            return getattr(datetime, t).fromisoformat(v["value"])
        if t == "path":
            import pathlib

            return pathlib.Path(v["value"])
        if t == "decimal":
            import decimal

            return decimal.Decimal(v["value"])
        raise ValueError("unknown tag " + repr(t))

    try:
        with open("/state/in.json", encoding="utf-8") as f:
            saved = loads(f.read()).get("vars", {})
    except FileNotFoundError:
        saved = {}
    for name, value in saved.items():
        try:
            setattr(__main__, name, decode(value))
        except Exception:
            pass

    def save():
        out, skipped = {}, []
        for name, value in list(vars(__main__).items()):
            if name.startswith("_") or isinstance(value, type(sys)):
                continue
            try:
                out[name] = encode(value)
            except (Skip, RecursionError) as e:
                skipped.append("%s (%s)" % (name, e))
        with open("/state/out.json", "w", encoding="utf-8") as f:
            f.write(dumps({"vars": out, "skipped": skipped}))

    _atexit.register(save)


_wasmplay_state()
del _wasmplay_state, _atexit
