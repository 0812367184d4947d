from enum import StrEnum


class JobError(StrEnum):
    UNKNOWN_JOB = "unknown_job"
