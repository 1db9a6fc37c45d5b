"""Scheduling: the slot engine and the worker calendar: when a worker works, is off, or is held,
and which slots an item can be booked in. Below orders: the orders waiting for a worker and the
ranges dispatch holds reach it as arguments from the floors above."""
