namespace MmProxy.Configuration;

/// <summary>What a listener does with the PROXY header: strip it (the service's side) or write it (<c>mmproxy send</c>, the load balancer's side).</summary>
internal enum ListenerRole : byte
{
    Receive,
    Send,
}
