"""The load benchmark (``rc-chat bench``; docs/performance.md): load generators, a
bare python-socketio relay to compare against, and the phases that drive both."""
