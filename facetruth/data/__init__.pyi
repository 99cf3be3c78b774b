# The public names of facetruth.data: __init__.py loads each from its private module
# on first use (lazy_loader.attach_stub reads this file). Only `from .module import name`
# lines: a name whose home is another package is imported from there.

__all__ = [
    "batch_landmarks",
    "canonical_crop",
    "check_align",
    "check_max_side",
    "concat_datasets",
    "crop_face",
    "crop_geometry",
    "CROP_GEOMETRY",
    "CROP_VERSION",
    "Dataset",
    "DECODED_FORMATS",
    "detect_face",
    "DETECT_SIDE",
    "ENCODING_PROPERTIES",
    "expand_inputs",
    "FACE_TEMPLATE",
    "frames_at",
    "gaussian_blur",
    "gaussian_noise",
    "IMAGE_EXTENSIONS",
    "is_chain",
    "jpeg_compress",
    "load_dataset",
    "make_demo_dataset",
    "make_pseudo_fakes",
    "nuisance_properties",
    "NUISANCE_PROPERTIES",
    "parse_pseudo_fakes",
    "probe_digest",
    "probe_images",
    "PROBE_SIZE",
    "random_augment",
    "read_image",
    "read_video_frame",
    "read_video_frames",
    "rescale",
    "sample_per_class",
    "self_blend",
    "to_template_frame",
    "VIDEO_EXTENSIONS",
]

from ._augment import gaussian_blur, gaussian_noise, jpeg_compress, random_augment, rescale
from ._canonical import FACE_TEMPLATE, canonical_crop, to_template_frame
from ._concat import concat_datasets, sample_per_class
from ._crop_face import CROP_VERSION, check_align, crop_face
from ._crop_geometry import CROP_GEOMETRY, crop_geometry
from ._dataset import Dataset
from ._datasets import load_dataset
from ._demo import make_demo_dataset
from ._image import DECODED_FORMATS, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, read_image
from ._inputs import expand_inputs
from ._landmarks import DETECT_SIDE, check_max_side, detect_face, is_chain
from ._nuisance import ENCODING_PROPERTIES, NUISANCE_PROPERTIES, nuisance_properties
from ._probes import PROBE_SIZE, probe_digest, probe_images
from ._sbi import batch_landmarks, make_pseudo_fakes, parse_pseudo_fakes, self_blend
from ._video import frames_at, read_video_frame, read_video_frames
