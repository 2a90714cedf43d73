"""ImageNet: only the 1000 class names (DeZero 0.0.13 ships no ImageNet images either)."""
from __future__ import annotations

import ast

from dezero.datasets.base import Dataset
from dezero.utils.download import get_file
from dezero.utils.files import read_text


class ImageNet(Dataset):
    """Placeholder for the ImageNet images; use ``ImageNet.labels()`` for the class names."""

    labels_url = ("https://gist.githubusercontent.com/yrevar/942d3a0ac09ec9e5eb3a/raw/"
                  "238f720ff059c1f82f368259d1ca4ffa5dd8f9f5/imagenet1000_clsidx_to_labels.txt")

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("ImageNet: the images are not provided (as in DeZero); "
                                  "ImageNet.labels() gives the 1000 class names")

    @staticmethod
    def labels() -> dict[int, str]:
        """Class id (0..999) to name, from a cached copy of the usual label file.

        The file is a Python dict literal; unlike DeZero it is parsed with ``ast.literal_eval``,
        never ``eval``, so a tampered download cannot run code.
        """
        path = get_file(ImageNet.labels_url)
        text = read_text(path, "ImageNet.labels")
        try:
            labels = ast.literal_eval(text)
        except (ValueError, SyntaxError) as error:
            raise ValueError(f"ImageNet.labels: {path} is not a dict literal ({error}); "
                             "delete it and try again") from None
        if not isinstance(labels, dict):
            raise ValueError(f"ImageNet.labels: {path} holds a {type(labels).__name__}, "
                             "expected a dict; delete it and try again")
        return labels
