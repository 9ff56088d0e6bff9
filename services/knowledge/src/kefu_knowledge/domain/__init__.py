"""The knowledge service's pure rules: segmentation, ranking, articles and their versions, stripping case text."""
