# Simplified Chinese for the msgids of the upload re-encoding (commerce/images.py).
ZH = {
    "This image is damaged or incomplete.": "此图片已损坏或不完整。",
    "Images can be at most %(pixels)s pixels wide or high.": "图片的宽度或高度最多为 %(pixels)s 像素。",
    "The submitted file is empty.": "提交的文件为空。",
}
