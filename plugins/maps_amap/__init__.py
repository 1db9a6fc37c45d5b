"""AMap (高德) for a franchise: address suggestions, geocoding, driving times for live tracking
and AMap's map tiles, through AMap's web-service API with the franchise's own key."""
