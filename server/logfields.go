package server

// LifecycleKey is the log field on the server's lines about its own life
// rather than a call's: "serving" (Start is done), "connected" (an inbound
// ESL connection is up, again after a reconnect), "draining" and
// "stopped" (Shutdown). A one-shot tool (fsstar run, api) leaves those
// lines out by this field, never by their message.
const LifecycleKey = "lifecycle"
