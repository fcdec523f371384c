"""Which packages the wheel holds; everything else is in pyproject.toml.

Every folder under beykusay/ and pages/ is found by pattern (pages/static too), so a new
subpackage is never forgotten; prompts/ stays at the top of the repository and is shipped
inside the package as beykusay.default_prompts (used when not run from a checkout).
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(
            include=["beykusay", "beykusay.*", "pages", "pages.*"], exclude=["*.__pycache__"]
        ),
        "beykusay.default_prompts",
    ],
    package_dir={"beykusay.default_prompts": "prompts"},
)
