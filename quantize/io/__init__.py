"""Loading and saving images: the boundary between files and arrays.

``load_image`` turns any file Pillow opens into 8-bit sRGB pixels plus an
optional alpha channel; ``as_rgba`` does the same for in-memory arrays and PIL
images (both in :mod:`quantize.io.read`). ``atomic_write`` and ``check_output_path``
make sure an output is either written whole or not at all, and never replaces an
input (:mod:`quantize.io.write`). The physical resolution a file states, and what an
output keeps of it, is :mod:`quantize.io.resolution`. A stream (stdin, or a file object
given to ``load_image``) is copied to a file once its first bytes look like an image
(:mod:`quantize.io.streams`). How file names are shown,
compared and cut into stems is :mod:`quantize.names`, and what Pillow does not check
of a PNG is :mod:`quantize.png`; the functions of theirs that the other layers use are
re-exported here, with those of the three modules. ``__all__`` names the documented
API alone: reading an image (:func:`load_image`, :class:`LoadedImage`, the warnings it
gives; :class:`~quantize.errors.ImageReadError` is raised), :func:`as_rgba`,
:func:`stack_pages` and :func:`kept_exif`; the other names are the other layers' helpers.

What happens to each kind of input:

- Modes L, LA, P, PA, RGB, RGBA, CMYK, YCbCr, LAB, HSV, 1: converted to RGB (+ alpha
  when the mode has one, a palette image has a transparency entry, or a
  grayscale (of any bit depth) or RGB PNG names a transparent colour in its tRNS chunk).
- 16-bit grayscale (I;16 and friends, I): scaled to 8 bits by ``round(v / 257)``
  (a 32-bit image with larger values, by its largest). A 32-bit image (I) whose
  pixels are all at most 255 (an int32 array of 0..255, say) is read so too,
  near black, with a :class:`PixelRangeWarning` saying how to read it as 8-bit
  (Pillow may open a 16-bit PNG as I: its values are 16-bit counts, however
  small); so is a 16-bit image made in memory (``Image.fromarray`` of a uint16
  array), not one read from a file. Float grayscale (F):
  read as 0..1, 0..255 or 0..65535, the first range that holds its largest
  value; NaN (when not no data: ``nodata=None``), infinite and negative pixels read as
  black, with a :class:`PixelRangeWarning`, but that ``stretch`` reads values below 0
  in its range (and says when a whole negative value many pixels hold, -9999, sets it:
  give it as ``nodata``). A float image with values over 1 whose brightest
  pixel so comes out below 64 (0..1000 read as 16-bit counts, say) is read so
  too, with a :class:`PixelRangeWarning` saying to scale it to 0..1.
  16-bit RGB, RGBA and grey+alpha PNGs (and every frame of such an APNG), which Pillow
  decodes to the high byte of each sample, are read from all 16 bits: the low bytes are decoded
  again from the file (:func:`wide_rgb_png`), each sample, alpha too, scaled by
  ``round(v / 257)`` and the colours converted to sRGB from their 16-bit values by a
  gAMA chunk, as 16-bit grayscale is; an ICC profile applies to the 8-bit values.
  Their tRNS colour is matched on all 16 bits (see :class:`KeyedCanvas`). A PIL image
  of one already decoded has its high bytes only, and is read so. A 16-bit RGB, RGBA
  or CMYK TIFF page (its samples side by side, compressed or not; RGBA premultiplied by
  alpha too, divided by it in 16 bits; RGB or RGBA in separate planes, uncompressed, the
  planes of extra samples after them left out, named by a :class:`SamplesLeftOutWarning`) and
  a 16-bit grey, RGB or RGBA SGI image (run-length compressed or not) are read from all
  16 bits too, their low bytes decoded again from the file by Pillow's unpacker of the
  other byte order (:func:`~quantize.io.read._wide_rgb_lows`), and so are the pages of a
  TIFF read as frames (``reduce`` of a TIFF of several pages: :func:`wide_page`). An 8-bit
  premultiplied RGBA TIFF page (samples side by side, or separate planes uncompressed) is
  divided by its alpha as a 16-bit one is, rounded, where Pillow truncated. A 16-bit
  TIFF of separate planes that is compressed, CMYK or premultiplied, which Pillow
  decodes to the high bytes or misreads, is refused with an
  :class:`~quantize.errors.ImageReadError` (:func:`~quantize.io.read._check_wide_planes`),
  and so is an uncompressed YCbCr TIFF whose chroma is subsampled, which Pillow said was
  truncated (:func:`~quantize.io.read._check_subsampled_ycbcr`). A still 16-bit RGB or
  RGBA image so read (not CMYK, not an APNG's frames, not the pages :func:`wide_page`
  reads) whose brightest colour comes out below 64 is read so too, with a
  :class:`PixelRangeWarning` as a grey one's, its values those of the colour channels.
- EPS and PostScript: refused (:func:`unread_format`). Pillow draws them by running
  Ghostscript on the file, a program, which quantize does not do for any file.
- XBM: a set bit is black and a clear bit white, as X11, ImageMagick and browsers draw a
  bitmap (Pillow reads a set bit as white: :func:`~quantize.io.read._xbm_foreground_black`).
- A BMP whose alpha channel is 0 in every pixel (a fourth byte its writer left unused):
  read opaque, as Chromium shows it (:func:`~quantize.io.read._unused_bmp_alpha`). A
  32-bit ICO's is read from its AND mask instead, as Chromium reads it
  (:func:`~quantize.io.read._unused_icon_alpha_mask`).
- A palette PNG whose tRNS chunk holds more than 256 alpha values (more than any palette
  has): read opaque, the chunk left out as libpng and browsers leave it, with a
  :class:`TransparencyChunkWarning` (:func:`ignore_overlong_trns`).
- EXIF orientation: applied, so the pixels come out upright; of a PNG, JPEG or WebP, an
  orientation held only in the XMP, or in ImageMagick's PNG text chunk, is not, as
  browsers show such a file as stored (:func:`exif_orientation`); of an EXIF block whose
  first directory of tags reaches past its end, only an orientation read before the cut
  is applied (as Pillow reads it), with a :class:`DamagedExifWarning`; so too, one names
  a tag of that directory whose value is not in the block (more bytes than it holds, skipped,
  or ending past it, which ends the reading), and says whether an orientation read
  from the other tags is applied.
- No data (``nodata``, :mod:`quantize.io.nodata`): of a grey or RGB image, the pixels
  whose every band equals a value given in the image's own units (0..65535 of a 16-bit
  tile), or that a TIFF's GDAL_NODATA tag names (``nodata="tag"``), are read as fully
  transparent, before any scaling to 8 bits or stretch, which they take no part in; so
  are a float image's NaN pixels, unless ``nodata`` is None (``nodata=float("nan")``
  names them alone), with a ``NoDataWarning`` but when NaN is given.
- Physical resolution (a PNG's pHYs, a JPEG's JFIF density or EXIF resolution, a TIFF's
  resolution tags, a BMP's pixels per metre), when stated in inches or centimetres:
  ``LoadedImage.dpi``, upright (x and y swapped by an EXIF orientation of 5 to 8); an
  aspect alone (a pHYs of unit 0, a JFIF density of unit 0) is none
  (:func:`~quantize.io.resolution.stated_dpi`); a TIFF ImageJ wrote, in its ImageJ unit
  (``unit=um``). A TIFF that states a physical scale on purpose (its ResolutionUnit in
  centimetres, or in inches but not 72 or 96 dpi, or an ImageJ unit) has its pixels' size
  in micrometres too, ``LoadedImage.pixel_size``
  (:func:`~quantize.io.resolution.stated_pixel_size`).
- ICC profile (RGB, grayscale or CMYK; a palette image's applies to its
  colours): pixels are converted to sRGB, so clustering sees the colours a
  viewer shows, by the rendering ``intent`` (relative colorimetric with black-point
  compensation by default: :mod:`quantize.io.profiles`), and
  ``LoadedImage.source_profile`` names a profile that is not sRGB's; outputs carry no
  profile (they are sRGB). A profile that cannot
  be read or is not for the image's colours is left out, as viewers do, with a
  :class:`ColorProfileWarning`.
- PNG gAMA chunk (without an sRGB or iCCP chunk, which take precedence): a
  gamma other than about 1/2.2 is converted to sRGB, as browsers show it.
- Animated images (GIF, APNG, WebP) and multi-page TIFFs: the first frame only;
  ``LoadedImage.n_frames`` tells how many there were. An APNG's default image that
  is not a frame is skipped, and the first frame drawn on a clear canvas, as
  players show it (:func:`forget_default_image`). A GIF's first frame that does not
  cover the screen is drawn on a transparent one, as browsers show it
  (:func:`~quantize.gif_canvas.first_gif_frame`); an animated WebP whose frames hold
  alpha its header does not flag is read with it (:mod:`quantize.webp`). A JPEG holding more
  images (MPO: a camera's preview, or the second view of a stereo pair) and a
  TIFF whose pages differ in size (a page and its thumbnail) count as one
  frame, their first image, as viewers show them (see :func:`shown_frames`): of such a
  TIFF, the first page not marked a reduced-size copy (a scanner's thumbnail may come
  first: :func:`first_page`). A :class:`PagesLeftOutWarning` names the pages of such a
  TIFF that are left out without being marked as reduced-size copies, and the
  thumbnails before the page read, and counts the images of such an MPO that its index
  does not mark as previews of the first (a stereo pair's second view, say). A GIF
  that ends after a whole frame without its trailer is read as the frames it has, with an
  :class:`UnterminatedGifWarning`: it may have been cut short. One cut inside a frame
  after whole ones is read as those whole frames, with the same warning naming the frame
  cut (:func:`readable_input`). A PNG whose image data holds every row of the image read
  but that ends without its IEND chunk, or holds bytes after it, is read with a
  :class:`~quantize.png.DamagedPngEndWarning`; a JPEG whose image data is cut short is
  refused, its end marker after the cut or not (:func:`~quantize.io.jpeg.check_jpeg_scan`).
- A TIFF of more samples a pixel than Pillow reads (RGB with a fourth, extra sample
  marked "unspecified", not alpha): read without them, with a
  :class:`SamplesLeftOutWarning` naming them (:func:`warn_samples_left_out`).
- Icons (ICO, ICNS) holding several sizes: the largest, as Pillow opens them, with a
  :class:`PagesLeftOutWarning` saying how many other sizes are left out.
- More than ``max_pixels`` pixels (default ``DEFAULT_MAX_PIXELS``): refused from
  the header, before decoding, as a guard against decompression bombs; so are more
  than ``max_frames`` frames or pages (default ``DEFAULT_MAX_FRAMES``) of a file whose
  every frame is read (:func:`open_input`, :func:`check_frame_limit`).
- A PNG or APNG with a chunk whose CRC does not match (a damaged file, which
  libpng-based viewers refuse): refused, naming the chunk (Pillow checks the
  chunks before the image data only, and decoded damaged image data to a wrong image).
  So is one whose image data ends before the last row, all its CRCs right (Pillow
  left the missing rows black): refused, saying after which row (of the image read,
  or for an animation read whole, of any frame).
"""


from __future__ import annotations

# The names below but those of __all__ are re-exported for the other layers (F401).
from ..names import (  # noqa: F401
    folded_name,
    natural_key,
    one_file_names,
    output_stem,
    printable,
    printable_data,
    printable_line,
    quoted,
)
from ..png import (  # noqa: F401
    DamagedChunkWarning,
    DamagedPngEndWarning,
    check_png_chunks,
    check_png_frames,
    readable_png,
    second_reader,
)
from .nodata import (  # noqa: F401
    GDAL_NODATA,
    NoData,
    NoDataWarning,
    check_nodata,
    no_data_mask,
    nodata_key,
    nodata_record,
    nodata_setting,
)
from .read import (  # noqa: F401
    DARK_TOP,
    DEFAULT_MAX_FRAMES,
    DEFAULT_MAX_PIXELS,
    EXIF_PICTURE_TAGS,
    FOURTH_CHANNELS,
    GEOTIFF_TAGS,
    GRAY_MODES,
    OUTLIER_SHARE,
    SCALE_ADVICE,
    STREAM_NAME,
    ColorProfileWarning,
    CompositedFrameWarning,
    DamagedExifWarning,
    DarkPages,
    FourthChannel,
    FourthChannelWarning,
    KeyedCanvas,
    LoadedImage,
    OpenInput,
    PagesLeftOutWarning,
    PixelListWarning,
    PixelRangeWarning,
    SamplesLeftOutWarning,
    StretchAdvice,
    TransparencyChunkWarning,
    TransparentColorWarning,
    UnterminatedGifWarning,
    as_rgba,
    as_rgba_ranged,
    as_rgba_stretched,
    bulk_levels,
    check_frame_limit,
    check_frame_pixels,
    check_input_path,
    copy_stream,
    drawn_alike_by_pillow,
    exif_orientation,
    first_page,
    forget_default_image,
    frame_rgba,
    frames_canvas,
    hidden_frames,
    ignore_overlong_trns,
    input_size,
    is_file_object,
    is_readable_object,
    is_stream,
    kept_exif,
    keyed_canvas_frames,
    load_image,
    low_depth_gray_key,
    missing_file,
    open_input,
    outside_levels,
    pillow_limit_lifted,
    probe_image,
    read_errors,
    read_unmapped,
    readable_input,
    require_regular_file,
    seek_first_page,
    shown_frames,
    shows_animation,
    sixteen_bit_key,
    stack_pages,
    tiff_exif,
    tiff_geo_tags,
    unread_format,
    upright_exif,
    warn_pages_left_out,
    warn_samples_left_out,
    warn_unterminated_gif,
    wide_page,
    wide_rgb_png,
)
from .resolution import (  # noqa: F401
    held_dpi,
    pixels_per_metre,
    stated_dpi,
    stated_pixel_size,
    upright_dpi,
)
from .write import (  # noqa: F401
    GIF_ALPHA_THRESHOLD,
    MAX_PALETTE,
    STREAM_OUTPUT,
    atomic_write,
    check_name_length,
    check_output_folder,
    check_output_folder_writable,
    check_output_path,
    check_output_size,
    folder_made,
    landing,
    link_to_nothing_words,
    list_parts_once_from_now,
    lock_file_held,
    lock_file_taken,
    lock_holder,
    missing_folders,
    parts_listed_once,
    remove_empty_folders,
    remove_stale_parts,
    save_pil,
    shared_landing,
    stale_parts,
    write_all,
    write_together,
    written_through,
)

#: The documented API: reading an image (load_image, what it gives and its limits, the
#: warnings it gives), as_rgba for arrays and PIL images, and what an output keeps of the
#: input's EXIF. The other names above are the other layers' (reduce, segment, batch, cli),
#: importable here but no promise: they may change without notice.
__all__ = ["DEFAULT_MAX_FRAMES", "DEFAULT_MAX_PIXELS", "EXIF_PICTURE_TAGS", "ColorProfileWarning",
           "CompositedFrameWarning", "DamagedChunkWarning", "DamagedExifWarning",
           "DamagedPngEndWarning", "FourthChannelWarning", "LoadedImage", "NoData", "NoDataWarning",
           "PagesLeftOutWarning", "PixelListWarning", "PixelRangeWarning",
           "SamplesLeftOutWarning", "TransparencyChunkWarning", "TransparentColorWarning",
           "UnterminatedGifWarning", "as_rgba", "kept_exif", "load_image", "stack_pages"]
