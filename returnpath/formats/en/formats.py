from returnpath.formats.belgian import *  # noqa: F403
