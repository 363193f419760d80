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
import atexit as _atexit


def _wasmplay_state():
    import __main__, base64, datetime, decimal, json, math, pathlib, types

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
        if isinstance(v, datetime.datetime):
            return {"__type__": "datetime", "value": v.isoformat()}
        if isinstance(v, datetime.date):
            return {"__type__": "date", "value": v.isoformat()}
        if isinstance(v, datetime.time):
            return {"__type__": "time", "value": v.isoformat()}
        if isinstance(v, datetime.timedelta):
            return {"__type__": "timedelta", "value": v.total_seconds()}
        if isinstance(v, pathlib.PurePath):
            return {"__type__": "path", "value": str(v)}
        if isinstance(v, (bytes, bytearray)):
            return {"__type__": "bytes", "value": base64.b64encode(v).decode()}
        if isinstance(v, decimal.Decimal):
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
        if t == "datetime":
            return datetime.datetime.fromisoformat(v["value"])
        if t == "date":
            return datetime.date.fromisoformat(v["value"])
        if t == "time":
            return datetime.time.fromisoformat(v["value"])
        if t == "timedelta":
            return datetime.timedelta(seconds=v["value"])
        if t == "path":
            return pathlib.Path(v["value"])
        if t == "bytes":
            return base64.b64decode(v["value"])
        if t == "decimal":
            return decimal.Decimal(v["value"])
        raise ValueError("unknown tag " + repr(t))

    try:
        with open("/state/in.json") as f:
            saved = json.load(f).get("vars", {})
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
            if name.startswith("_") or isinstance(value, types.ModuleType):
                continue
            try:
                out[name] = encode(value)
            except (Skip, RecursionError) as e:
                skipped.append("%s (%s)" % (name, e))
        with open("/state/out.json", "w") as f:
            json.dump({"vars": out, "skipped": skipped}, f)

    _atexit.register(save)


_wasmplay_state()
del _wasmplay_state, _atexit
