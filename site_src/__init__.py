"""duizhao (對照): a static-site generator for an annotated bilingual archive.

One module per pipeline stage: load → clean → segment → align → anchors → render → write.
"""
