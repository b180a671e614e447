"""Downloads blueprint: fresh, expiring links to finished videos, and the local signed file route."""
