"""Reading images and videos, dataset layouts, face cropping, augmentation, pseudo-fakes and the demo set."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "._image": [
            "read_image",
            "read_video_frames",
            "IMAGE_EXTENSIONS",
            "VIDEO_EXTENSIONS",
            "DECODED_FORMATS",
        ],
        "._video": ["read_video_frame", "frames_at"],
        "._dataset": ["Dataset"],
        "._inputs": ["InputItem", "expand_inputs"],
        "._datasets": ["load_dataset"],
        "._concat": ["concat_datasets", "sample_per_class"],
        "._canonical": ["FACE_TEMPLATE", "canonical_crop", "to_template_frame"],
        "._crop_geometry": ["CropSquare", "canonical_square", "crop_square", "cut_square"],
        "._face_geometry": ["CROP_GEOMETRY", "crop_geometry"],
        "._nuisance": ["ENCODING_PROPERTIES", "NUISANCE_PROPERTIES", "jpeg_quality", "nuisance_properties"],
        "._faces": ["FaceCropper", "FaceDetection", "crop_face", "crop_faces", "detect_face", "check_align"],
        "._landmarks": ["DETECT_SIDE", "check_max_side", "is_chain"],
        "._augment": ["jpeg_compress", "rescale", "gaussian_blur", "gaussian_noise", "random_augment"],
        "._demo": ["DemoData", "make_demo_dataset"],
        "._probes": ["PROBES", "PROBE_SIZE", "probe_images", "probe_digest"],
        "._sbi": ["self_blend", "make_pseudo_fakes", "parse_pseudo_fakes", "batch_landmarks"],
        "..exceptions": ["ImageDecodeError", "DatasetLayoutError"],
    },
)
