package main

import (
	"github.com/labstack/echo/v4"

	"conference/kiosk"
	"conference/kiosk/web"
)

func init() {
	MountUI = func(e *echo.Echo, k *kiosk.Kiosk, ui uiOptions) error {
		return web.Register(e, k, web.Options{IdleLock: ui.IdleLock})
	}
}
