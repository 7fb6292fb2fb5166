# exercise: utilities
def early_stopping(val_losses, patience, min_delta=0.0):
    best_epoch, best = 0, val_losses[0]
    for epoch, loss in enumerate(val_losses):
        if loss <= best - min_delta:
            best_epoch, best = epoch, loss
        if epoch - best_epoch == patience:
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch
