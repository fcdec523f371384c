"""OpenAI's Chat Completions protocol on top of BeykuSay's provider (the /v1 adapter).

Pure translation both ways: OpenAI messages and parameters into a GenerationRequest,
the provider's events into ``chat.completion`` objects and chunks, errors into OpenAI's
error shape. The routes are in ``beykusay.api.v1``, the limits in
``beykusay.services.completions``.
"""
