"""How an input's ICC profile is converted to sRGB: the rendering intent, and what the
conversion is said as.

An image with an embedded ICC profile (a CMYK JPEG or TIFF, an Adobe RGB or ProPhoto
photo) is converted to sRGB as it is read (:func:`~quantize.io.load_image`). The
``intent`` says how colours the profile holds and sRGB does not are brought in, as
LittleCMS takes it:

- ``"relative-bpc"`` (the default): relative colorimetric with black-point compensation,
  Photoshop's usual setting. Measured against the original sRGB photos (chelsea, coffee
  and astronaut, each converted to Ghostscript's CMYK profiles by three intents), it left
  them nearest: mean CIEDE2000 3.39, against 3.59 perceptual and 4.12 relative.
- ``"relative"``: relative colorimetric without it, as ImageMagick's ``-profile`` converts.
- ``"perceptual"``, ``"saturation"``, ``"absolute"``: the ICC's other intents.

A matrix profile (Adobe RGB, ProPhoto: measured) converts alike by every intent; a CMYK
profile's tables differ. :func:`converted_profile` is what a converted file is said as,
``None`` for an sRGB profile (one that moves no colour by more than
:data:`SRGB_LIKE_LEVELS`) and for an image without one.
"""

from __future__ import annotations

import functools
import io as _io
from typing import Any, Literal, NamedTuple

from ..errors import ProfileConvertedWarning, warn_caller

__all__ = ["DEFAULT_INTENT", "INTENTS", "INTENT_WORDS", "Intent", "SourceProfile",
           "check_intent", "cms_intent", "converted_profile", "note_profile_converted",
           "note_profile_kept", "profile_fields"]

Intent = Literal["relative-bpc", "relative", "perceptual", "saturation", "absolute"]

#: The rendering intents, in the order the option lists them.
INTENTS: tuple[str, ...] = ("relative-bpc", "relative", "perceptual", "saturation", "absolute")
DEFAULT_INTENT: Intent = "relative-bpc"
#: How a note names each intent.
INTENT_WORDS = {"relative-bpc": "relative colorimetric with black-point compensation",
                "relative": "relative colorimetric", "perceptual": "perceptual",
                "saturation": "saturation", "absolute": "absolute colorimetric"}

#: How far (in 8-bit levels, any channel) a profile may move a colour and still be
#: taken as sRGB's: the sRGB profiles that cameras and editors embed differ from
#: LittleCMS's own by a level at most.
SRGB_LIKE_LEVELS = 2


class SourceProfile(NamedTuple):
    """What an input's pixels were converted to sRGB from: ``colour_space``, the profile's
    ("CMYK", "RGB" or "GRAY"), and ``description``, its name ("U.S. Web Coated (SWOP)
    v2"; the colour space when it has none)."""

    colour_space: str
    description: str


def check_intent(intent: Any) -> Intent:
    """``intent`` checked: one of :data:`INTENTS`.

    >>> check_intent("perceptual")
    'perceptual'
    >>> check_intent("vivid")
    Traceback (most recent call last):
    ValueError: intent='vivid' should be one of 'relative-bpc', 'relative', 'perceptual', \
'saturation', 'absolute'

    Raises
    ------
    ValueError
        For a name that is not one of them (a str of another name, or not a str).
    """
    if not isinstance(intent, str) or intent not in INTENTS:
        raise ValueError(f"intent={intent!r} should be one of "
                         f"{', '.join(repr(name) for name in INTENTS)}")
    return intent  # type: ignore[return-value]


def cms_intent(intent: Intent) -> tuple[Any, int]:
    """The LittleCMS rendering intent and flags of ``intent`` (checked).

    >>> cms_intent("relative-bpc")
    (<Intent.RELATIVE_COLORIMETRIC: 1>, 8192)
    """
    from PIL import ImageCms

    named = {"relative-bpc": ImageCms.Intent.RELATIVE_COLORIMETRIC,
             "relative": ImageCms.Intent.RELATIVE_COLORIMETRIC,
             "perceptual": ImageCms.Intent.PERCEPTUAL,
             "saturation": ImageCms.Intent.SATURATION,
             "absolute": ImageCms.Intent.ABSOLUTE_COLORIMETRIC}
    flags = ImageCms.Flags.BLACKPOINTCOMPENSATION if intent == "relative-bpc" else 0
    return named[intent], int(flags)


def converted_profile(icc: bytes | None, mode: str) -> SourceProfile | None:
    """What an image of Pillow mode ``mode`` with the ICC profile ``icc`` is said to be
    converted from (:class:`SourceProfile`): None without a profile, with one that cannot
    be read or is not for its colours (it is left out, not applied), or with one of sRGB's
    (a grey or RGB profile that moves no colour by more than :data:`SRGB_LIKE_LEVELS`).

    >>> from PIL import ImageCms
    >>> srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    >>> converted_profile(srgb, "RGB"), converted_profile(None, "CMYK")
    (None, None)
    >>> converted_profile(srgb, "CMYK") is None  # an RGB profile of CMYK pixels: left out
    True
    """
    if not icc:
        return None
    from PIL import ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(_io.BytesIO(icc))
    except (ImageCms.PyCMSError, OSError):
        return None
    space = profile.profile.xcolor_space.strip()
    bands = {"RGB": ("RGB", "RGBA", "P", "PA"), "GRAY": ("L", "LA", "I;16", "I;16B", "I;16L",
                                                         "I;16N", "I", "F"),
             "CMYK": ("CMYK",)}
    if mode not in bands.get(space, ()):
        return None
    if space != "CMYK" and _srgb_like(icc, space):
        return None
    description = (profile.profile.profile_description or "").strip().strip("\x00")
    return SourceProfile(space, description or space)


@functools.lru_cache(maxsize=8)  # a folder of one camera's photos: its profile once
def _srgb_like(icc: bytes, space: str) -> bool:
    """Whether the grey or RGB profile ``icc`` (of colour space ``space``) moves no colour of
    a grid (every 15th level of grey; 6 levels a channel of RGB) by more than
    :data:`SRGB_LIKE_LEVELS` on its way to sRGB."""
    import numpy as np
    from PIL import Image, ImageCms

    profile = ImageCms.ImageCmsProfile(_io.BytesIO(icc))
    levels = np.linspace(0, 255, 6 if space == "RGB" else 18).round().astype(np.uint8)
    if space == "RGB":
        grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), -1).reshape(1, -1, 3)
        image, mode = Image.fromarray(grid), "RGB"
    else:
        grid = np.repeat(levels[None, :, None], 3, axis=2)
        image, mode = Image.fromarray(levels[None, :]), "L"
    try:
        # unoptimised: built in under 1 ms, where LittleCMS's precalculated tables take
        # about 40 ms, paid by every tagged file read
        out = ImageCms.buildTransform(profile, ImageCms.createProfile("sRGB"), mode, "RGB",
                                      flags=ImageCms.Flags.NOOPTIMIZE
                                      | ImageCms.Flags.NOCACHE).apply(image)
    except (ImageCms.PyCMSError, OSError):
        return True  # not applied: the colours are read as they are
    moved = np.abs(np.asarray(out, dtype=np.int16) - grid.astype(np.int16))
    return int(moved.max()) <= SRGB_LIKE_LEVELS


#: How a note names the colour space of an ICC profile.
_SPACE_WORDS = {"CMYK": "CMYK", "RGB": "RGB", "GRAY": "grey"}


def note_profile_converted(profile: SourceProfile | None, intent: str,
                           named: str | None) -> None:
    """Say (:class:`~quantize.errors.ProfileConvertedWarning`) that the output named
    ``named`` (None: no output, the colours printed) holds the input's colours converted
    to sRGB from its ICC ``profile`` (None: an sRGB or untagged input, not said) by the
    rendering ``intent``, the profile left out.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     note_profile_converted(SourceProfile("CMYK", "SWOP v2"), "relative-bpc", "x.png")
    >>> print(said[0].message)
    x.png: the input's CMYK colours (ICC profile 'SWOP v2') are converted to sRGB, relative \
colorimetric with black-point compensation, and the profile is left out
    """
    if profile is None:
        return
    space = _SPACE_WORDS.get(profile.colour_space, profile.colour_space)
    warn_caller(f"{'' if named is None else named + ': '}the input's {space} colours (ICC profile "
                f"{profile.description!r}) are converted to sRGB, {INTENT_WORDS[intent]}, "
                "and the profile is left out", ProfileConvertedWarning)


def note_profile_kept(icc: bytes | None, named: str | None) -> None:
    """Say (:class:`~quantize.errors.ProfileConvertedWarning`, the note of what became of the
    input's profile) that the grey output named ``named`` keeps the input's grey levels and
    its grey ICC profile ``icc``, unconverted (None: no profile kept, not said; nor an sRGB
    one, as its conversion is not said).

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     warnings.simplefilter("always")
    ...     note_profile_kept(None, "x.png")
    >>> said
    []
    """
    profile = None if icc is None else converted_profile(icc, "L")
    if profile is None:
        return
    warn_caller(f"{'' if named is None else named + ': '}the input's grey levels are kept, "
                f"not converted to sRGB, and its ICC profile {profile.description!r} is "
                "embedded in the grey output", ProfileConvertedWarning)


def profile_fields(profile: SourceProfile | None) -> dict[str, str]:
    """The fields a record (``--json``, a batch report, segments.json) names an input's
    ICC ``profile`` by, converted to sRGB: none of an sRGB or untagged input.

    >>> profile_fields(SourceProfile("CMYK", "SWOP v2")), profile_fields(None)
    ({'source_colour_space': 'CMYK', 'profile': 'SWOP v2'}, {})
    """
    if profile is None:
        return {}
    return {"source_colour_space": profile.colour_space, "profile": profile.description}
