"""Seeded demo data: nights of multilingual review and seller-feedback exports with planted patterns."""

from pipeline.demo.generator import DemoManifest, generate_demo

__all__ = ["DemoManifest", "generate_demo"]
