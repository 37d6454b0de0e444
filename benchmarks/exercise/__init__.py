"""The class exercise: a kit from a synthetic breach (``create``) and grading (``grade``)."""

from .create import ExerciseError, ExerciseKit, create_exercise
from .grade import Grade, SubmissionError, grade_submissions

__all__ = [
    "ExerciseError",
    "ExerciseKit",
    "Grade",
    "SubmissionError",
    "create_exercise",
    "grade_submissions",
]
