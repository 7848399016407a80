"""The seed study's 15 figures (sessions per rack), as they follow from its footnotes.

Rack: 40U and 11.5 kW usable. AmpereOne 577 W, 1U: 19 servers (power binds). 8×L40S 3,097 W:
3 servers. 8×H100 6,297 W: 1 server.
"""
STUDY_SESSIONS_PER_RACK = {
    ("ampereone-a192", "llama-3.2-1b"): 1216,
    ("ampereone-a192", "llama-3.2-3b"): 608,
    ("ampereone-a192", "llama-3.1-8b"): 152,
    ("ampereone-a192", "llama-3.1-70b"): 0,
    ("ampereone-a192", "llama-3.1-405b"): 0,
    ("8x-l40s", "llama-3.2-1b"): 24,
    ("8x-l40s", "llama-3.2-3b"): 24,
    ("8x-l40s", "llama-3.1-8b"): 24,
    ("8x-l40s", "llama-3.1-70b"): 12,
    ("8x-l40s", "llama-3.1-405b"): 0,
    ("8x-h100-sxm", "llama-3.2-1b"): 56,
    ("8x-h100-sxm", "llama-3.2-3b"): 56,
    ("8x-h100-sxm", "llama-3.1-8b"): 56,
    ("8x-h100-sxm", "llama-3.1-70b"): 8,
    ("8x-h100-sxm", "llama-3.1-405b"): 1,
}
