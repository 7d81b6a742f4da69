"""Simulators that notebooks import (the datacenter hall of dc10-lab, ...)."""
