"""Python-callable detectors in every shape the protocol accepts, for the adapter tests."""

from types import SimpleNamespace


def tuples(texts):
    return [[(i, i + 3, "serology")] if (i := t.find("VIH")) >= 0 else [] for t in texts]


def dicts(texts):
    return [
        [{"start": 0, "end": len(t), "label": "PERSON", "score": 0.5}] if t else [] for t in texts
    ]


def objects(texts):
    return [[SimpleNamespace(start=0, end=1, label="phone")] if t else [] for t in texts]


def categories(texts):
    return [{"serology"} if "VIH" in t else set() for t in texts]


def flags(texts):
    return ["VIH" in t for t in texts]


def too_few(texts):
    return [[] for _ in texts[:-1]]


def inverted(texts):
    return [[(3, 1, "x")] for _ in texts]


def float_offsets(texts):
    return [[(0.0, 1.0, "x")] for _ in texts]


def raises(texts):
    raise ValueError("model not loaded")


class WithClose:
    """A class detector with close(); records how often it was closed."""

    name = "with-close"
    version = "2.0"
    closed = 0

    def __call__(self, texts):
        return [[] for _ in texts]

    def close(self):
        WithClose.closed += 1


class NeedsArgs:
    def __init__(self, model_path):
        self.model_path = model_path

    def __call__(self, texts):
        return [[] for _ in texts]
