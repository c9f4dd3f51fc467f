"""The page floor: number and word formatting, tables built from records, the figure style, the reproducibility summary, the source line under an exhibit."""
