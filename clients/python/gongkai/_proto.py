"""The protobuf module generated from proto/gongkai.proto at build time
(`make python` writes gongkai_pb2.py next to this file)."""
import importlib

_mod = None


def module():
    global _mod
    if _mod is None:
        try:
            _mod = importlib.import_module(__package__ + ".gongkai_pb2")
        except ImportError as e:
            raise ImportError("gongkai: gongkai_pb2 is not generated: run `make python` "
                              "(protoc --python_out from proto/gongkai.proto): %s" % e) from None
    return _mod
