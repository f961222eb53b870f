"""Adam for the training loops: `torch.optim.Adam` (fused where the device has the kernel), and
`FlatAdam`, the same update on one flat buffer for the hand-written accelerated paths."""
from __future__ import annotations

import torch


def fused_available(device: torch.device) -> bool:
    return torch.device(device).type in ("cpu", "cuda") and hasattr(torch, "_fused_adam_")


def adam(params: list[torch.nn.Parameter], lr: float) -> torch.optim.Adam:
    """torch.optim.Adam with PyTorch's defaults (betas 0.9/0.999, eps 1e-8), fused where available."""
    fused = fused_available(params[0].device)
    return torch.optim.Adam(params, lr=lr, fused=fused or None, foreach=None if fused else True)


class FlatAdam:
    """Adam with the same arithmetic as `adam` on one flat parameter buffer.

    Calls the fused kernel directly where PyTorch has one for the device: the optimizer wrapper's
    own bookkeeping costs more than the update itself at the sizes of this package's models.
    """

    def __init__(self, param: torch.nn.Parameter, lr: float):
        self.param, self.lr = param, lr
        self.fused = fused_available(param.device)
        if self.fused:
            self.exp_avg = torch.zeros_like(param.data)
            self.exp_avg_sq = torch.zeros_like(param.data)
            self.steps = torch.zeros((), dtype=torch.float32, device=param.device)
        else:
            self.opt = torch.optim.Adam([param], lr=lr)

    def state(self) -> dict[str, torch.Tensor]:
        """Moments (flat, like the parameter) and the step count."""
        if self.fused:
            return {"exp_avg": self.exp_avg, "exp_avg_sq": self.exp_avg_sq, "steps": self.steps}
        st = self.opt.state.get(self.param, {})
        zeros = torch.zeros_like(self.param.data)
        return {"exp_avg": st.get("exp_avg", zeros), "exp_avg_sq": st.get("exp_avg_sq", zeros),
                "steps": torch.as_tensor(st.get("step", 0.0), dtype=torch.float32)}

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        dev = self.param.device
        if self.fused:
            self.exp_avg.copy_(state["exp_avg"].to(dev))
            self.exp_avg_sq.copy_(state["exp_avg_sq"].to(dev))
            self.steps.copy_(state["steps"].to(dev))
        elif float(state["steps"]) > 0:
            self.opt.state[self.param] = {"step": state["steps"].clone(), "exp_avg": state["exp_avg"].to(dev).clone(),
                                          "exp_avg_sq": state["exp_avg_sq"].to(dev).clone()}

    def step(self) -> None:
        if not self.fused:
            self.opt.step()
            return
        self.steps.add_(1)
        torch._fused_adam_([self.param.data], [self.param.grad], [self.exp_avg], [self.exp_avg_sq], [],
                           [self.steps], amsgrad=False, lr=self.lr, beta1=0.9, beta2=0.999, weight_decay=0.0,
                           eps=1e-8, maximize=False)


def adam_state(opt: torch.optim.Adam, params: list[torch.nn.Parameter]) -> dict[str, torch.Tensor]:
    """A torch.optim.Adam's moments concatenated in `params` order (FlatAdam's layout) and its step."""
    states = [opt.state.get(p, {}) for p in params]
    if not states or not states[0]:
        flat = torch.zeros(sum(p.numel() for p in params), device=params[0].device)
        return {"exp_avg": flat, "exp_avg_sq": flat.clone(), "steps": torch.zeros(())}
    return {"exp_avg": torch.cat([s["exp_avg"].reshape(-1) for s in states]),
            "exp_avg_sq": torch.cat([s["exp_avg_sq"].reshape(-1) for s in states]),
            "steps": torch.as_tensor(states[0]["step"], dtype=torch.float32).reshape(()).cpu()}


def load_adam_state(opt: torch.optim.Adam, params: list[torch.nn.Parameter], state: dict[str, torch.Tensor]) -> None:
    """The inverse of `adam_state`."""
    if float(state["steps"]) == 0:
        return
    offset = 0
    for p in params:
        n = p.numel()
        step = state["steps"].reshape(()).clone().to(p.device if opt.defaults.get("fused") else "cpu")
        opt.state[p] = {"step": step,
                        "exp_avg": state["exp_avg"][offset:offset + n].to(p.device).view_as(p).clone(),
                        "exp_avg_sq": state["exp_avg_sq"][offset:offset + n].to(p.device).view_as(p).clone()}
        offset += n
